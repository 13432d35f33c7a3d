using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using TorchSharp;

namespace FreeEnergy.Core.Cuda.Tests;

/// <summary>The real CUDA checks of this process, whatever the machine has.</summary>
public sealed class RealCudaRuntimeTests
{
    [Fact]
    public void TheChecksAgreeWithTorch()
    {
        Assert.Equal(torch.cuda.is_available(), CudaDevices.IsAvailable);
        Assert.Equal(CudaDevices.IsAvailable ? torch.cuda.device_count() : 0, CudaDevices.Count);
        Assert.Equal(CudaDevices.IsAvailable ? CudaAvailability.Available : CudaDevices.HasCudaBackend ? CudaAvailability.NoDevice : CudaAvailability.NoCudaBackend, CudaDevices.Check());
        Assert.Equal(OperatingSystem.IsLinux() ? "TorchSharp-cuda-linux" : OperatingSystem.IsWindows() ? "TorchSharp-cuda-windows" : null, CudaDevices.BundlePackage);
    }

    [NoCudaBackendFact]
    public void WithoutABundleUseCudaNamesThePackage()
    {
        var error = Assert.Throws<FreeEnergyBackendException>(() => RateDistortionModel.CreateBuilder().WithInputShape(4).UseCuda());
        Assert.Equal(BackendFailureCause.CudaUnavailable, error.Cause);
        Assert.Contains(CudaDevices.BundlePackage ?? "not supported on this operating system", error.Message, StringComparison.Ordinal);
    }

    [NoCudaBackendFact]
    public void WithoutABundleTheCoreBuilderAlsoRefusesCuda()
    {
        var error = Assert.Throws<FreeEnergyBackendException>(() => RateDistortionModel.CreateBuilder().WithInputShape(4).OnDevice("cuda:0").Build());
        Assert.Equal(BackendFailureCause.CudaUnavailable, error.Cause);
    }

    [Fact]
    public void PreferCudaIsTheCpuExactlyWhenCudaIsUnavailable()
    {
        var selection = CudaDevices.Select();
        Assert.Equal(CudaDevices.IsAvailable, selection.IsCuda);
        Assert.Equal(CudaDevices.IsAvailable ? DeviceType.CUDA : DeviceType.CPU, CudaDevices.PreferCuda().type);
    }

    [CudaFact]
    public void UseCudaBuildsAModelOnTheGpu()
    {
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(4).WithClasses(3).WithMlp(8).UseCuda().Build();
        Assert.Equal(DeviceType.CUDA, model.Device.type);
        Assert.All(model.Network.parameters(), p => Assert.Equal(DeviceType.CUDA, p.device_type));
    }
}
