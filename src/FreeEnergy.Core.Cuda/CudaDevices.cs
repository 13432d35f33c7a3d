using FreeEnergy.Core.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;

namespace FreeEnergy.Core.Cuda;

/// <summary>
/// CUDA checks and device choice for anything that takes a <see cref="torch.Device"/>: models
/// (<see cref="CudaBuilderExtensions"/>), datasets (<c>LabeledTensorDataset.To(device)</c>), checkpoints
/// (<c>RateDistortionModel.Load(path, device)</c>).
/// </summary>
/// <remarks>
/// <para><see cref="Require"/> insists on CUDA and throws a <see cref="FreeEnergyBackendException"/> that names
/// the package to add; <see cref="Select"/> and <see cref="PreferCuda"/> apply the fallback policy: the CUDA
/// device when it is usable, otherwise the CPU, with the choice logged and reported.</para>
/// <para>The answers are computed once per process (loading TorchSharp's native backend if needed).</para>
/// </remarks>
/// <example>
/// <code>
/// var device = CudaDevices.PreferCuda(logger: logger);   // cuda:0, or cpu when there is no GPU
/// using var data = cpuData.To(device);
/// </code>
/// </example>
public static class CudaDevices
{
    /// <summary>Whether the application carries the CUDA build of libtorch (a CUDA bundle), whether or not a GPU is present.</summary>
    /// <exception cref="FreeEnergyBackendException">TorchSharp's native backend cannot be loaded at all.</exception>
    public static bool HasCudaBackend => CudaRuntime.Current.HasCudaBackend;

    /// <summary>Whether at least one CUDA device is usable (torch.cuda.is_available()).</summary>
    /// <exception cref="FreeEnergyBackendException">TorchSharp's native backend cannot be loaded at all.</exception>
    public static bool IsAvailable => CudaRuntime.Current.IsAvailable;

    /// <summary>The number of usable CUDA devices (0 when CUDA is not available).</summary>
    /// <exception cref="FreeEnergyBackendException">TorchSharp's native backend cannot be loaded at all.</exception>
    public static int Count => CudaRuntime.Current.IsAvailable ? CudaRuntime.Current.DeviceCount : 0;

    /// <summary>Whether cuDNN is available to the CUDA backend.</summary>
    /// <exception cref="FreeEnergyBackendException">TorchSharp's native backend cannot be loaded at all.</exception>
    public static bool IsCudnnAvailable => CudaRuntime.Current.IsAvailable && CudaRuntime.Current.IsCudnnAvailable;

    /// <summary>
    /// The CUDA bundle package for this operating system (TorchSharp-cuda-linux or TorchSharp-cuda-windows),
    /// or null where TorchSharp has no CUDA bundle (macOS).
    /// </summary>
    public static string? BundlePackage => CudaErrors.BundlePackage;

    /// <summary>Whether cuda:<paramref name="deviceIndex"/> can be used, and if not, why not.</summary>
    /// <param name="deviceIndex">The CUDA device index, ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="deviceIndex"/> is negative.</exception>
    /// <exception cref="FreeEnergyBackendException">TorchSharp's native backend cannot be loaded at all.</exception>
    public static CudaAvailability Check(int deviceIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deviceIndex);
        var runtime = CudaRuntime.Current;
        if (!runtime.IsAvailable)
        {
            return runtime.HasCudaBackend ? CudaAvailability.NoDevice : CudaAvailability.NoCudaBackend;
        }

        return deviceIndex < runtime.DeviceCount ? CudaAvailability.Available : CudaAvailability.DeviceIndexOutOfRange;
    }

    /// <summary>
    /// The CUDA device cuda:<paramref name="deviceIndex"/>, or an exception that says why it cannot be used
    /// and how to fix it.
    /// </summary>
    /// <param name="deviceIndex">The CUDA device index, ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="deviceIndex"/> is negative.</exception>
    /// <exception cref="FreeEnergyBackendException">
    /// Cause <see cref="BackendFailureCause.CudaUnavailable"/>: the application has no CUDA bundle (the message names
    /// the package to add), no GPU is usable, or the index is not below the device count (the message gives the count).
    /// </exception>
    public static torch.Device Require(int deviceIndex = 0)
    {
        var availability = Check(deviceIndex);
        if (availability != CudaAvailability.Available)
        {
            throw CudaErrors.Exception(availability, deviceIndex, Count);
        }

        return new torch.Device(DeviceType.CUDA, deviceIndex);
    }

    /// <summary>
    /// Chooses cuda:<paramref name="deviceIndex"/> when it is usable, otherwise the CPU, and logs the choice
    /// (Information; Warning when CUDA works but the index does not exist).
    /// </summary>
    /// <param name="deviceIndex">The CUDA device index, ≥ 0.</param>
    /// <param name="logger">Receives one message about the choice; none when null.</param>
    /// <returns>The device and why it was chosen.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="deviceIndex"/> is negative.</exception>
    /// <exception cref="FreeEnergyBackendException">TorchSharp's native backend cannot be loaded at all (not even on the CPU).</exception>
    public static DeviceSelection Select(int deviceIndex = 0, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        var availability = Check(deviceIndex);
        int count = Count;
        string explanation = CudaErrors.Describe(availability, deviceIndex, count);
        switch (availability)
        {
            case CudaAvailability.Available:
                var cuda = new torch.Device(DeviceType.CUDA, deviceIndex);
                Log.CudaSelected(logger, cuda, count, CudaRuntime.Current.IsCudnnAvailable);
                return new DeviceSelection(cuda, deviceIndex, availability, count, explanation);
            case CudaAvailability.DeviceIndexOutOfRange:
                Log.CpuFallbackIndexOutOfRange(logger, deviceIndex, count, explanation);
                break;
            default:
                Log.CpuFallback(logger, availability, explanation);
                break;
        }

        return new DeviceSelection(new torch.Device(DeviceType.CPU), deviceIndex, availability, count, explanation);
    }

    /// <summary>
    /// The device <see cref="Select"/> chooses: cuda:<paramref name="deviceIndex"/> when usable, otherwise the
    /// CPU. Pass it wherever a device is taken, for example <c>dataset.To(CudaDevices.PreferCuda())</c>.
    /// </summary>
    /// <param name="deviceIndex">The CUDA device index, ≥ 0.</param>
    /// <param name="logger">Receives one message about the choice; none when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="deviceIndex"/> is negative.</exception>
    public static torch.Device PreferCuda(int deviceIndex = 0, ILogger? logger = null) => Select(deviceIndex, logger).Device;
}
