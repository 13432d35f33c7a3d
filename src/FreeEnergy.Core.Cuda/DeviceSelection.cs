using System.Globalization;
using TorchSharp;

namespace FreeEnergy.Core.Cuda;

/// <summary>
/// The outcome of a device choice with the CUDA-or-CPU fallback policy (<see cref="CudaDevices.Select"/>,
/// <see cref="CudaBuilderExtensions.TryUseCuda(Models.RateDistortionModelBuilder, out DeviceSelection, int, Microsoft.Extensions.Logging.ILogger?)"/>).
/// </summary>
/// <param name="Device">The device chosen: the requested CUDA device, or the CPU.</param>
/// <param name="RequestedCudaIndex">The CUDA device index that was asked for.</param>
/// <param name="Availability">Whether CUDA could be used and, if not, why not.</param>
/// <param name="CudaDeviceCount">The number of CUDA devices found (0 without a usable CUDA backend).</param>
/// <param name="Explanation">One human-readable sentence saying what was chosen and why; the same text is logged.</param>
public sealed record DeviceSelection(torch.Device Device, int RequestedCudaIndex, CudaAvailability Availability, int CudaDeviceCount, string Explanation)
{
    /// <summary>Whether the chosen device is a CUDA device (false: the CPU fallback).</summary>
    public bool IsCuda => Availability == CudaAvailability.Available;

    /// <summary>The device as TorchSharp writes it ("cpu", "cuda:0"), for APIs that take a device name.</summary>
    public string DeviceName => Device.ToString();

    /// <summary>Value equality; devices compare by name (TorchSharp's <see cref="torch.Device"/> compares by reference).</summary>
    public bool Equals(DeviceSelection? other) =>
        other is not null
        && DeviceName == other.DeviceName
        && RequestedCudaIndex == other.RequestedCudaIndex
        && Availability == other.Availability
        && CudaDeviceCount == other.CudaDeviceCount
        && Explanation == other.Explanation;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(DeviceName, RequestedCudaIndex, Availability, CudaDeviceCount, Explanation);

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{DeviceName} ({Availability}): {Explanation}");
}
