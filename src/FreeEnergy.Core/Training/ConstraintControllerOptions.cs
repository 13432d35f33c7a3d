using System.Globalization;
using FreeEnergy.Core.Diagnostics;

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
    /// <summary>The defaults, one place for every optional parameter that refers to them.</summary>
    public static ConstraintControllerOptions Defaults { get; } = new();

    /// <summary>Integral gain k_I per update, a fraction of the Newton step (default 0.03; in (0, 1]).</summary>
    public double IntegralGain { get; init; } = 0.03;

    /// <summary>Proportional gain k_P on the change of the error, a fraction of the Newton step (default 0.15; in [0, 10]).</summary>
    public double ProportionalGain { get; init; } = 0.15;

    /// <summary>The factor α of the exponential moving average of the training measurement (default 0.95; in [0, 1)).</summary>
    public double Smoothing { get; init; } = 0.95;

    /// <summary>The largest change of u = ln(multiplier) in one update (default 0.02; in (0, 1]).</summary>
    public double MaxLogStep { get; init; } = 0.02;

    /// <summary>The smallest multiplier the controller sets (default 1e-3; &gt; 0).</summary>
    public double MinMultiplier { get; init; } = 1e-3;

    /// <summary>The largest multiplier the controller sets (default 1e4; &gt; <see cref="MinMultiplier"/>).</summary>
    public double MaxMultiplier { get; init; } = 1e4;

    /// <summary>
    /// The outer loop's gain: at each held-out check the estimate of the gap between the held-out and the training
    /// value moves this fraction of the way to the newly measured gap (default 0.5; in [0, 1]; 0 keeps the set point).
    /// </summary>
    public double SetPointGain { get; init; } = 0.5;

    /// <summary>The largest offset of the training set point from the target, relative to the target (default 0.5; in (0, 1)).</summary>
    public double MaxSetPointOffset { get; init; } = 0.5;

    /// <summary>The smallest |s| the gains are divided by (default 0.05; &gt; 0).</summary>
    public double MinSensitivity { get; init; } = 0.05;

    /// <summary>
    /// The largest |s| the gains are divided by (default 1; ≥ <see cref="MinSensitivity"/>). The encoder-fluctuation
    /// estimator over-estimated |s| by up to 3.6 at large γ in the main job's transfer, which made the controller too
    /// timid to bring γ back down; capping it at 1 keeps at least the step of a unit log-sensitivity.
    /// </summary>
    public double MaxSensitivity { get; init; } = 1;

    /// <summary>
    /// Every problem of these options, one line each (empty when valid); <see cref="Validate"/> throws them
    /// together.
    /// </summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void Check(bool ok, string text)
        {
            if (!ok)
            {
                problems.Add(text);
            }
        }

        string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
        Check(IntegralGain > 0 && IntegralGain <= 1, $"IntegralGain must be in (0, 1]; it is {F(IntegralGain)}.");
        Check(ProportionalGain >= 0 && ProportionalGain <= 10, $"ProportionalGain must be in [0, 10]; it is {F(ProportionalGain)}.");
        Check(Smoothing >= 0 && Smoothing < 1, $"Smoothing must be in [0, 1); it is {F(Smoothing)}.");
        Check(MaxLogStep > 0 && MaxLogStep <= 1, $"MaxLogStep must be in (0, 1]; it is {F(MaxLogStep)}.");
        Check(double.IsFinite(MinMultiplier) && MinMultiplier > 0, $"MinMultiplier must be finite and > 0; it is {F(MinMultiplier)}.");
        Check(double.IsFinite(MaxMultiplier) && MaxMultiplier > MinMultiplier, $"MaxMultiplier must be finite and > MinMultiplier ({F(MinMultiplier)}); it is {F(MaxMultiplier)}.");
        Check(double.IsFinite(MinSensitivity) && MinSensitivity > 0, $"MinSensitivity must be finite and > 0; it is {F(MinSensitivity)}.");
        Check(double.IsFinite(MaxSensitivity) && MaxSensitivity >= MinSensitivity, $"MaxSensitivity must be finite and ≥ MinSensitivity ({F(MinSensitivity)}); it is {F(MaxSensitivity)}.");
        Check(SetPointGain >= 0 && SetPointGain <= 1, $"SetPointGain must be in [0, 1]; it is {F(SetPointGain)}.");
        Check(MaxSetPointOffset > 0 && MaxSetPointOffset < 1, $"MaxSetPointOffset must be in (0, 1); it is {F(MaxSetPointOffset)}.");
        return problems;
    }

    /// <summary>Throws <see cref="FreeEnergyConfigurationException"/> listing every problem, or returns these options.</summary>
    public ConstraintControllerOptions Validate()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new FreeEnergyConfigurationException(problems);
    }
}
