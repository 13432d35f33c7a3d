namespace FreeEnergy.Core.Processes;

/// <summary>
/// The hysteresis of a path run forward and then backward (see <see cref="ProcessTrajectory.Hysteresis"/>):
/// the gaps at matching driven values and the work around the loop, W_forward + W_reverse, which is zero for a
/// reversible path and positive (dissipated) otherwise, up to estimation noise.
/// </summary>
/// <param name="Points">The matched pairs, in the forward run's order.</param>
/// <param name="ForwardWork">W of the forward run.</param>
/// <param name="ReverseWork">W of the reverse run.</param>
public sealed record HysteresisReport(IReadOnlyList<HysteresisPoint> Points, double ForwardWork, double ReverseWork)
{
    /// <summary>W_forward + W_reverse: the work around the loop.</summary>
    public double LoopWork => ForwardWork + ReverseWork;

    /// <summary>The largest |R gap| over the matched points (0 when none matched).</summary>
    public double MaxRateGap => Points.Count == 0 ? 0 : Points.Max(p => Math.Abs(p.RateGap));

    /// <summary>The largest |D gap|.</summary>
    public double MaxDistortionGap => Points.Count == 0 ? 0 : Points.Max(p => Math.Abs(p.DistortionGap));

    /// <summary>The largest |C gap|.</summary>
    public double MaxClassificationGap => Points.Count == 0 ? 0 : Points.Max(p => Math.Abs(p.ClassificationGap));

    /// <summary>The largest |free multiplier gap|.</summary>
    public double MaxFreeGap => Points.Count == 0 ? 0 : Points.Max(p => Math.Abs(p.FreeGap));
}
