using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using Microsoft.Extensions.Logging;

namespace FreeEnergy.Core.Cuda;

/// <summary>
/// Fluent CUDA device choice for <see cref="RateDistortionModelBuilder"/>.
/// </summary>
/// <example>
/// <code>
/// using var model = RateDistortionModel.CreateBuilder()
///     .WithInputShape(1, 28, 28).WithClasses(10)
///     .TryUseCuda(out var selection, logger: logger)   // cuda:0 when usable, else cpu
///     .Build();
/// Console.WriteLine(selection);
/// </code>
/// </example>
public static class CudaBuilderExtensions
{
    /// <summary>
    /// Puts the model on cuda:<paramref name="deviceIndex"/>, checking at once that it is usable.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="deviceIndex">The CUDA device index, ≥ 0 (default 0).</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="deviceIndex"/> is negative.</exception>
    /// <exception cref="FreeEnergyBackendException">
    /// Cause <see cref="BackendFailureCause.CudaUnavailable"/>: the application lacks a CUDA bundle (the message names
    /// the package to add: TorchSharp-cuda-linux or TorchSharp-cuda-windows), no GPU is usable, or the index is not
    /// below the number of devices (the message gives the count).
    /// </exception>
    public static RateDistortionModelBuilder UseCuda(this RateDistortionModelBuilder builder, int deviceIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.OnDevice(CudaDevices.Require(deviceIndex));
    }

    /// <summary>
    /// Puts the model on cuda:<paramref name="deviceIndex"/> when it is usable, otherwise on the CPU; the
    /// choice is logged to <paramref name="logger"/>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="deviceIndex">The CUDA device index, ≥ 0 (default 0).</param>
    /// <param name="logger">Receives one message about the choice; none when null.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="deviceIndex"/> is negative.</exception>
    public static RateDistortionModelBuilder TryUseCuda(this RateDistortionModelBuilder builder, int deviceIndex = 0, ILogger? logger = null) =>
        builder.TryUseCuda(out _, deviceIndex, logger);

    /// <summary>
    /// Puts the model on cuda:<paramref name="deviceIndex"/> when it is usable, otherwise on the CPU; the
    /// choice is logged to <paramref name="logger"/> and reported in <paramref name="selection"/>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="selection">The device chosen and why.</param>
    /// <param name="deviceIndex">The CUDA device index, ≥ 0 (default 0).</param>
    /// <param name="logger">Receives one message about the choice; none when null.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="deviceIndex"/> is negative.</exception>
    public static RateDistortionModelBuilder TryUseCuda(this RateDistortionModelBuilder builder, out DeviceSelection selection, int deviceIndex = 0, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        selection = CudaDevices.Select(deviceIndex, logger);
        return builder.OnDevice(selection.Device);
    }

    /// <summary>Puts the model on the device of a previous <see cref="CudaDevices.Select"/>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="selection">The selection whose device to use.</param>
    /// <returns>The same builder.</returns>
    public static RateDistortionModelBuilder OnDevice(this RateDistortionModelBuilder builder, DeviceSelection selection)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(selection);
        return builder.OnDevice(selection.Device);
    }
}
