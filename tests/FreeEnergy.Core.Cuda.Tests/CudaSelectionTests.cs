using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace FreeEnergy.Core.Cuda.Tests;

/// <summary>UseCuda, TryUseCuda and CudaDevices against a pretend CUDA runtime: every branch, no GPU needed.</summary>
public sealed class CudaSelectionTests
{
    private static RateDistortionModelBuilder Builder() => RateDistortionModel.CreateBuilder().WithInputShape(4).WithClasses(3).WithMlp(8);

    [Fact]
    public void UseCudaWithoutABundleNamesThePackageToAdd()
    {
        using var fake = CudaRuntime.Override(FakeCudaRuntime.NoBundle);
        var builder = Builder();
        var error = Assert.Throws<FreeEnergyBackendException>(() => builder.UseCuda());
        Assert.Equal(BackendFailureCause.CudaUnavailable, error.Cause);
        Assert.Equal(CudaAvailability.NoCudaBackend, CudaDevices.Check());
        if (CudaDevices.BundlePackage is string package)
        {
            Assert.Contains($"has no CUDA build of libtorch", error.Message, StringComparison.Ordinal);
            Assert.Contains($"dotnet add package {package} --version {CudaErrors.TorchSharpVersion}", error.Message, StringComparison.Ordinal);
            Assert.Contains($"-p:CudaBundle={(OperatingSystem.IsLinux() ? "linux" : "windows")}", error.Message, StringComparison.Ordinal);
            Assert.Contains("remove TorchSharp-cpu", error.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("not supported on this operating system", error.Message, StringComparison.Ordinal);
        }

        Assert.Contains("TryUseCuda()", error.Message, StringComparison.Ordinal);
        Assert.Equal("cpu", builder.Configuration.Device);
    }

    [Fact]
    public void UseCudaWithABundleButNoGpuSaysSo()
    {
        using var fake = CudaRuntime.Override(FakeCudaRuntime.NoGpu);
        var error = Assert.Throws<FreeEnergyBackendException>(() => Builder().UseCuda());
        Assert.Equal(BackendFailureCause.CudaUnavailable, error.Cause);
        Assert.Equal(CudaAvailability.NoDevice, CudaDevices.Check());
        Assert.Contains("torch.cuda.is_available() is false", error.Message, StringComparison.Ordinal);
        Assert.Contains("nvidia-smi", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("dotnet add package", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseCudaWithAnIndexOutOfRangeGivesTheDeviceCount()
    {
        using var fake = CudaRuntime.Override(FakeCudaRuntime.Gpus(2));
        var error = Assert.Throws<FreeEnergyBackendException>(() => Builder().UseCuda(2));
        Assert.Equal(BackendFailureCause.CudaUnavailable, error.Cause);
        Assert.Contains("cuda:2 was requested but this machine has 2 CUDA device(s) (valid indices 0 to 1)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseCudaWithAUsableDeviceSetsTheBuilderDevice()
    {
        using var fake = CudaRuntime.Override(FakeCudaRuntime.Gpus(2));
        Assert.Equal("cuda:1", Builder().UseCuda(1).Configuration.Device);
        Assert.Equal("cuda:0", Builder().UseCuda().Configuration.Device);
        Assert.Equal(2, CudaDevices.Count);
        Assert.True(CudaDevices.IsAvailable);
    }

    [Fact]
    public void NegativeIndicesAreArgumentErrors()
    {
        using var fake = CudaRuntime.Override(FakeCudaRuntime.Gpus(1));
        Assert.Equal("deviceIndex", Assert.Throws<ArgumentOutOfRangeException>(() => Builder().UseCuda(-1)).ParamName);
        Assert.Equal("deviceIndex", Assert.Throws<ArgumentOutOfRangeException>(() => Builder().TryUseCuda(-1)).ParamName);
        Assert.Equal("deviceIndex", Assert.Throws<ArgumentOutOfRangeException>(() => CudaDevices.PreferCuda(-1)).ParamName);
    }

    [Theory]
    [InlineData(false, false, CudaAvailability.NoCudaBackend)]
    [InlineData(true, false, CudaAvailability.NoDevice)]
    public void TryUseCudaFallsBackToTheCpuAndLogsWhy(bool bundle, bool gpu, CudaAvailability expected)
    {
        using var fake = CudaRuntime.Override(new FakeCudaRuntime(bundle, gpu, 0));
        var logger = new ListLogger();
        var builder = Builder().TryUseCuda(out var selection, logger: logger);

        Assert.Equal("cpu", builder.Configuration.Device);
        Assert.Equal(DeviceType.CPU, selection.Device.type);
        Assert.False(selection.IsCuda);
        Assert.Equal(expected, selection.Availability);
        Assert.Equal(0, selection.CudaDeviceCount);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Equal(101, entry.Id.Id);
        Assert.Contains("falling back to the CPU", entry.Message, StringComparison.Ordinal);
        Assert.Contains(selection.Explanation, entry.Message, StringComparison.Ordinal);

        // The fallback really builds and runs on the CPU.
        using var model = builder.Build();
        Assert.Equal(DeviceType.CPU, model.Device.type);
    }

    [Fact]
    public void TryUseCudaPicksTheGpuWhenThereIsOne()
    {
        using var fake = CudaRuntime.Override(FakeCudaRuntime.Gpus(1));
        var logger = new ListLogger();
        var builder = Builder().TryUseCuda(out var selection, logger: logger);
        Assert.Equal("cuda:0", builder.Configuration.Device);
        Assert.True(selection.IsCuda);
        Assert.Equal("cuda:0", selection.DeviceName);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Equal("Using CUDA device cuda:0 (1 CUDA device(s), cuDNN True)", entry.Message);
    }

    [Fact]
    public void TryUseCudaWithAnIndexOutOfRangeWarnsAndUsesTheCpu()
    {
        using var fake = CudaRuntime.Override(FakeCudaRuntime.Gpus(1));
        var logger = new ListLogger();
        var selection = CudaDevices.Select(3, logger);
        Assert.Equal(DeviceType.CPU, selection.Device.type);
        Assert.Equal(CudaAvailability.DeviceIndexOutOfRange, selection.Availability);
        Assert.Equal(3, selection.RequestedCudaIndex);
        Assert.Equal(1, selection.CudaDeviceCount);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Contains("index 3 does not exist (1 device(s))", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheFluentOverloadWithoutOutParameterAlsoFallsBack()
    {
        using var fake = CudaRuntime.Override(FakeCudaRuntime.NoBundle);
        Assert.Equal("cpu", Builder().OnDevice("cuda:0").TryUseCuda().Configuration.Device);
    }

    [Fact]
    public void ASelectionCanBeReusedForModelsAndData()
    {
        using var fake = CudaRuntime.Override(FakeCudaRuntime.NoBundle);
        var selection = CudaDevices.Select();
        Assert.Equal("cpu", Builder().OnDevice(selection).Configuration.Device);
        Assert.Equal(DeviceType.CPU, CudaDevices.PreferCuda().type);
        Assert.StartsWith("cpu (NoCudaBackend): ", selection.ToString(), StringComparison.Ordinal);

        using var scope = torch.NewDisposeScope();
        using var cpu = new Data.LabeledTensorDataset(torch.rand(6, 4), torch.zeros(6, dtype: torch.ScalarType.Int64));
        using var moved = cpu.To(CudaDevices.PreferCuda());
        Assert.Equal(DeviceType.CPU, moved.Device.type);
    }

    [Fact]
    public void SelectionsCompareByValue()
    {
        using var fake = CudaRuntime.Override(FakeCudaRuntime.Gpus(2));
        Assert.Equal(CudaDevices.Select(1), CudaDevices.Select(1));
        Assert.Equal(CudaDevices.Select(1).GetHashCode(), CudaDevices.Select(1).GetHashCode());
        Assert.NotEqual(CudaDevices.Select(0), CudaDevices.Select(1));
    }

    [Fact]
    public void TheOverrideIsUndoneOnDispose()
    {
        bool real = CudaDevices.IsAvailable;
        using (CudaRuntime.Override(FakeCudaRuntime.Gpus(4)))
        {
            Assert.Equal(4, CudaDevices.Count);
        }

        Assert.Equal(real, CudaDevices.IsAvailable);
    }
}
