using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Internal;

namespace FreeEnergy.Core.Training;

/// <summary>
/// The constants of a <see cref="ConstraintController"/>: gains of its inner proportional–integral loop on the
/// smoothed training measurement, of its outer (cascade) loop on the held-out measurement, and its bounds. All
/// gains are dimensionless: they are fractions of the inverse-model (Newton) correction −e/s in log space, where
/// e is the relative error and s = ∂ln Q/∂ln m the held quantity's log-sensitivity to the multiplier.
/// </summary>
/// <remarks>
/// The defaults were measured on the main job's MLP (Fashion-MNIST, 4,000 training images, batch 64, about 60
/// steps per epoch): with k_I = 0.03 and k_P = 0.15 an iso-classification from λ = 4 to 0.5 held the held-out C
/// within 1.5% at every step; k_I = 0.01, k_P = 0.05 was too slow where C drifts by itself and needed rollbacks
/// (docs/processes.md has the numbers). The measurement is smoothed over ≈ 20 steps. Call
/// <see cref="Validate"/> (every consumer does) to have every problem reported at once.
/// </remarks>
public sealed record ConstraintControllerOptions
{
    /// <summary>The default options (every property at its <see cref="Defaults"/> value).</summary>
    public static ConstraintControllerOptions Default { get; } = new();

    /// <summary>Integral gain k_I per update, a fraction of the Newton step (default <see cref="Defaults.IntegralGain"/>; in (0, 1]).</summary>
    public double IntegralGain { get; init; } = Defaults.IntegralGain;

    /// <summary>Proportional gain k_P on the change of the error, a fraction of the Newton step (default <see cref="Defaults.ProportionalGain"/>; in [0, 10]).</summary>
    public double ProportionalGain { get; init; } = Defaults.ProportionalGain;

    /// <summary>The factor α of the exponential moving average of the training measurement (default <see cref="Defaults.Smoothing"/>; in [0, 1)).</summary>
    public double Smoothing { get; init; } = Defaults.Smoothing;

    /// <summary>The largest change of u = ln(multiplier) in one update (default <see cref="Defaults.MaxLogStep"/>; in (0, 1]).</summary>
    public double MaxLogStep { get; init; } = Defaults.MaxLogStep;

    /// <summary>The smallest multiplier the controller sets (default <see cref="Defaults.MinMultiplier"/>; &gt; 0).</summary>
    public double MinMultiplier { get; init; } = Defaults.MinMultiplier;

    /// <summary>The largest multiplier the controller sets (default <see cref="Defaults.MaxMultiplier"/>; &gt; <see cref="MinMultiplier"/>).</summary>
    public double MaxMultiplier { get; init; } = Defaults.MaxMultiplier;

    /// <summary>
    /// The outer loop's gain: at each held-out check the estimate of the gap between the held-out and the training
    /// value moves this fraction of the way to the newly measured gap (default <see cref="Defaults.SetPointGain"/>; in [0, 1]; 0 keeps the set point).
    /// </summary>
    public double SetPointGain { get; init; } = Defaults.SetPointGain;

    /// <summary>The largest offset of the training set point from the target, relative to the target (default <see cref="Defaults.MaxSetPointOffset"/>; in (0, 1)).</summary>
    public double MaxSetPointOffset { get; init; } = Defaults.MaxSetPointOffset;

    /// <summary>The smallest |s| the gains are divided by (default <see cref="Defaults.MinSensitivity"/>; &gt; 0).</summary>
    public double MinSensitivity { get; init; } = Defaults.MinSensitivity;

    /// <summary>
    /// The largest |s| the gains are divided by (default <see cref="Defaults.MaxSensitivity"/>; ≥ <see cref="MinSensitivity"/>). The encoder-fluctuation
    /// estimator over-estimated |s| by up to 3.6 at large γ in the main job's transfer, which made the controller too
    /// timid to bring γ back down; capping it at 1 keeps at least the step of a unit log-sensitivity.
    /// </summary>
    public double MaxSensitivity { get; init; } = Defaults.MaxSensitivity;

    /// <summary>
    /// Every problem of these options, one line each (empty when valid); <see cref="Validate"/> throws them
    /// together.
    /// </summary>
    public IReadOnlyList<string> Problems() =>
        new ProblemList()
            .InRange(IntegralGain, 0, 1, false, true, nameof(IntegralGain))
            .InRange(ProportionalGain, 0, 10, true, true, nameof(ProportionalGain))
            .InRange(Smoothing, 0, 1, true, false, nameof(Smoothing))
            .InRange(MaxLogStep, 0, 1, false, true, nameof(MaxLogStep))
            .Positive(MinMultiplier, nameof(MinMultiplier))
            .Require(double.IsFinite(MaxMultiplier) && MaxMultiplier > MinMultiplier, $"MaxMultiplier must be finite and > MinMultiplier ({ProblemList.Format(MinMultiplier)}); it is {ProblemList.Format(MaxMultiplier)}.")
            .Positive(MinSensitivity, nameof(MinSensitivity))
            .Require(double.IsFinite(MaxSensitivity) && MaxSensitivity >= MinSensitivity, $"MaxSensitivity must be finite and ≥ MinSensitivity ({ProblemList.Format(MinSensitivity)}); it is {ProblemList.Format(MaxSensitivity)}.")
            .InRange(SetPointGain, 0, 1, true, true, nameof(SetPointGain))
            .InRange(MaxSetPointOffset, 0, 1, false, false, nameof(MaxSetPointOffset))
            .Problems;

    /// <summary>Throws <see cref="FreeEnergyConfigurationException"/> listing every problem, or returns these options.</summary>
    public ConstraintControllerOptions Validate()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new FreeEnergyConfigurationException(problems);
    }

    /// <summary>The defaults, one place for the initialisers above and every optional parameter that refers to them.</summary>
    public static class Defaults
    {
        /// <summary>Integral gain k_I per update.</summary>
        public const double IntegralGain = 0.03;

        /// <summary>Proportional gain k_P on the change of the error.</summary>
        public const double ProportionalGain = 0.15;

        /// <summary>The factor α of the moving average of the training measurement (≈ 20 steps).</summary>
        public const double Smoothing = 0.95;

        /// <summary>The largest change of ln(multiplier) in one update.</summary>
        public const double MaxLogStep = 0.02;

        /// <summary>The smallest multiplier the controller sets.</summary>
        public const double MinMultiplier = 1e-3;

        /// <summary>The largest multiplier the controller sets.</summary>
        public const double MaxMultiplier = 1e4;

        /// <summary>The outer loop's gain on the gap between held-out and training values.</summary>
        public const double SetPointGain = 0.5;

        /// <summary>The largest offset of the training set point from the target, relative to the target.</summary>
        public const double MaxSetPointOffset = 0.5;

        /// <summary>The smallest |s| the gains are divided by.</summary>
        public const double MinSensitivity = 0.05;

        /// <summary>The largest |s| the gains are divided by.</summary>
        public const double MaxSensitivity = 1;
    }
}
