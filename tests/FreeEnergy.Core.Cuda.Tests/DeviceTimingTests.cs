using FreeEnergy.Core.Diagnostics;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Cuda.Tests;

public sealed class DeviceTimingTests
{
    [Fact]
    public void MeasureRunsWarmupAndTimedIterationsAndSummarises()
    {
        int calls = 0;
        var summary = DeviceTiming.Measure(CPU, () => { calls++; Thread.Sleep(2); }, iterations: 5, warmupIterations: 2);
        Assert.Equal(7, calls);
        Assert.Equal(5, summary.Iterations);
        Assert.Equal("cpu", summary.Device);
        Assert.True(summary.Min >= TimeSpan.FromMilliseconds(1.5), summary.ToString());
        Assert.True(summary.Min <= summary.Median && summary.Median <= summary.Max, summary.ToString());
        Assert.True(summary.Min <= summary.Mean && summary.Mean <= summary.Max, summary.ToString());
        Assert.Contains("over 5 runs on cpu", summary.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TensorsCreatedByTheTimedActionAreDisposed()
    {
        using var a = rand(32, 32);
        long before = FreeEnergyRuntime.LiveTensorCount;
        DeviceTiming.Measure(CPU, () => _ = a.matmul(a).relu().sum(), iterations: 3, warmupIterations: 1);
        Assert.Equal(before, FreeEnergyRuntime.LiveTensorCount);
    }

    [Fact]
    public void SynchronizeIsANoOpOffCuda()
    {
        DeviceTiming.Synchronize(CPU);
        DeviceTiming.Synchronize(TestDevices.Meta);
        Assert.True(DeviceTiming.Time(TestDevices.Meta, () => _ = zeros(1000, device: TestDevices.Meta)) >= TimeSpan.Zero);
    }

    [Fact]
    public void ArgumentsAreValidated()
    {
        Assert.Equal("iterations", Assert.Throws<ArgumentOutOfRangeException>(() => DeviceTiming.Measure(CPU, () => { }, iterations: 0)).ParamName);
        Assert.Equal("warmupIterations", Assert.Throws<ArgumentOutOfRangeException>(() => DeviceTiming.Measure(CPU, () => { }, warmupIterations: -1)).ParamName);
        Assert.Throws<ArgumentNullException>(() => DeviceTiming.Time(CPU, null!));
    }

    [CudaFact]
    public void OnCudaTheTimeIncludesTheKernelsNotOnlyTheirLaunch()
    {
        var cuda = CudaDevices.Require();
        using var a = rand([2048, 2048], device: cuda);
        var summary = DeviceTiming.Measure(cuda, () => _ = a.matmul(a), iterations: 3, warmupIterations: 1);
        Assert.Equal("cuda:0", summary.Device);
        Assert.True(summary.Median > TimeSpan.Zero);
    }
}
