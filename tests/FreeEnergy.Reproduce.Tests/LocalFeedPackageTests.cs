using Xunit.Abstractions;

namespace FreeEnergy.Reproduce.Tests;

/// <summary>
/// Runs build/test-local-feed.sh: packs the solution into a folder feed, makes a new console app that adds
/// FreeEnergy.Core, FreeEnergy.Datasets and TorchSharp-cpu from it, and runs the quick start. Slow (pack,
/// restore, build and a short training run: one to three minutes on two cores), so it is the only such test.
/// </summary>
public sealed class LocalFeedPackageTests(ITestOutputHelper log)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    [Fact]
    [Trait("Category", "Slow")]
    public void ANewConsoleAppRunsTheQuickStartFromTheLocalFeedPackages()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // the script is bash, tested on Linux; elsewhere run it by hand
        }

        string script = Path.Combine(TestRepository.Root, "build", "test-local-feed.sh");
        Assert.True(File.Exists(script), $"{script} is missing");

        var (code, _, _, output, elapsed, _) = ChildProcess.Run(ChildProcess.StartInfo("bash", [script, "2"], Path.GetDirectoryName(script)!), Timeout);
        log.WriteLine($"build/test-local-feed.sh: exit code {code} after {elapsed}");
        log.WriteLine(output);

        Assert.True(code == 0, $"build/test-local-feed.sh exited with {code} after {elapsed}:\n{output}");
        Assert.Contains("test-local-feed: PASSED", output, StringComparison.Ordinal);
        foreach (string line in new[] { "rate R", "distortion D", "classification C" })
        {
            Assert.Contains(line, output, StringComparison.Ordinal);
        }
    }
}
