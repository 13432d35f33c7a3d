using System.Globalization;

namespace FreeEnergy.Core.Cuda;

/// <summary>Wall-clock times of repeated runs of an action, measured by <see cref="DeviceTiming.Measure"/>.</summary>
/// <param name="Device">The device the work ran on, as TorchSharp writes it ("cpu", "cuda:0").</param>
/// <param name="Iterations">The number of timed runs (warm-up runs excluded).</param>
/// <param name="Mean">The mean time of one run.</param>
/// <param name="Median">The median time of one run: the figure to quote.</param>
/// <param name="Min">The fastest run.</param>
/// <param name="Max">The slowest run.</param>
public sealed record TimingSummary(string Device, int Iterations, TimeSpan Mean, TimeSpan Median, TimeSpan Min, TimeSpan Max)
{
    /// <inheritdoc />
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"median {Median.TotalMilliseconds:F2} ms (mean {Mean.TotalMilliseconds:F2}, min {Min.TotalMilliseconds:F2}, max {Max.TotalMilliseconds:F2}) over {Iterations} runs on {Device}");
}
