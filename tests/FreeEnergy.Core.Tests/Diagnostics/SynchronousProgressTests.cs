using FreeEnergy.Core.Diagnostics;

namespace FreeEnergy.Core.Tests.Diagnostics;

public class SynchronousProgressTests
{
    [Fact]
    public void ReportsAtOnceOnTheReportingThread()
    {
        var seen = new List<(int Value, int Thread)>();
        var progress = new SynchronousProgress<int>(v => seen.Add((v, Environment.CurrentManagedThreadId)));
        progress.Report(1);
        progress.Report(2);
        Assert.Equal([(1, Environment.CurrentManagedThreadId), (2, Environment.CurrentManagedThreadId)], seen);
        Assert.Equal("handler", Assert.Throws<ArgumentNullException>(() => new SynchronousProgress<int>(null!)).ParamName);
    }
}
