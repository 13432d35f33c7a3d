using System.Globalization;
using FreeEnergy.Core.Internal;

namespace FreeEnergy.Core.Training;

/// <summary>
/// Holds a functional Q (C, R or D) at a target by adapting a positive multiplier m (γ or λ) while the network
/// trains: an equality held from both sides, in log space (u = ln m), by proportional–integral control on an
/// exponential moving average of the training measurement, with a cascade that corrects the training set point
/// from a held-out measurement. Plain arithmetic, no tensors: the caller measures, the controller answers with
/// the next multiplier.
/// </summary>
/// <remarks>
/// <para>
/// <b>Inner loop</b> (<see cref="Update"/>, every optimisation step or every few): Q̂ ← α·Q̂ + (1 − α)·Q (bias
/// corrected), e = (Q̂ − Q*_train)/Q*, and in velocity form Δu = −(k_P·(e − e_prev) + k_I·e)/s, where
/// s = ∂ln Q/∂ln m is the held quantity's log-sensitivity (negative for C against γ: C falls as γ rises). |Δu| is
/// clipped to <see cref="ConstraintControllerOptions.MaxLogStep"/> and u to [ln m_min, ln m_max]. The velocity
/// form has no separate integrator, so nothing winds up while u sits at a bound: the first update whose error
/// points back moves u off the bound at once.
/// </para>
/// <para>
/// <b>Outer loop</b> (<see cref="CorrectSetPoint"/>, a few times per epoch): the value that counts is Q on
/// held-out data measured deterministically (fixed examples, fixed z-noise). The cascade tracks the gap between the
/// held-out value and the smoothed training value (which changes as the representation moves) and holds the
/// training measurement at Q* minus that gap, bounded to Q*·(1 ± <see cref="ConstraintControllerOptions.MaxSetPointOffset"/>).
/// Tracking the gap rather than integrating the held-out error keeps the outer loop from fighting the slower inner one.
/// </para>
/// <para>
/// <b>Feedforward</b> (<see cref="Feedforward"/>): when the driven variable moves by Δx, the caller adds the
/// first-order change −(∂Q/∂x)/(∂Q/∂m)·Δx/m to u from the derivative estimators, so that a ramp is not lagged by
/// a steady error.
/// </para>
/// </remarks>
public sealed class ConstraintController
{
    private readonly double logMin;
    private readonly double logMax;
    private double average;
    private double weight;
    private double? previousError;

    /// <summary>Creates a controller.</summary>
    /// <param name="target">Q*, the value to hold (finite, &gt; 0; errors are relative to it).</param>
    /// <param name="multiplier">The multiplier to start from (finite, ≥ 0); clamped into the options' bounds (a γ of 0 starts at the minimum).</param>
    /// <param name="sensitivity">s = ∂ln Q/∂ln m (finite, ≠ 0; its sign says which way Q moves with m); its magnitude is clamped to the options' [MinSensitivity, MaxSensitivity].</param>
    /// <param name="options">The gains and bounds (default <see cref="ConstraintControllerOptions.Default"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A bad target, multiplier or sensitivity.</exception>
    /// <exception cref="FreeEnergy.Core.Diagnostics.FreeEnergyConfigurationException">Bad options (every problem listed).</exception>
    public ConstraintController(double target, double multiplier, double sensitivity, ConstraintControllerOptions? options = null)
    {
        Guard.Positive(target, "The target", "(errors are relative to it)");
        Guard.NonNegative(multiplier, "The starting multiplier");
        Options = (options ?? ConstraintControllerOptions.Default).Validate();
        Target = target;
        SetPoint = target;
        logMin = Math.Log(Options.MinMultiplier);
        logMax = Math.Log(Options.MaxMultiplier);
        LogMultiplier = Math.Clamp(multiplier > 0 ? Math.Log(multiplier) : logMin, logMin, logMax);
        SetSensitivity(sensitivity);
    }

    /// <summary>The options.</summary>
    public ConstraintControllerOptions Options { get; }

    /// <summary>Q*, the value held.</summary>
    public double Target { get; }

    /// <summary>The set point the training measurement is held at (moved by the outer loop).</summary>
    public double SetPoint { get; private set; }

    /// <summary>u = ln m.</summary>
    public double LogMultiplier { get; private set; }

    /// <summary>The multiplier m = exp(u).</summary>
    public double Multiplier => Math.Exp(LogMultiplier);

    /// <summary>s = ∂ln Q/∂ln m, as clamped.</summary>
    public double Sensitivity { get; private set; }

    /// <summary>The smoothed training measurement Q̂, or NaN before the first update.</summary>
    public double Smoothed => weight > 0 ? average / weight : double.NaN;

    /// <summary>The relative error (Q̂ − set point)/Q* of the last update, or NaN before the first.</summary>
    public double Error => previousError ?? double.NaN;

    /// <summary>The number of inner-loop updates so far.</summary>
    public long Updates { get; private set; }

    /// <summary>Whether u sits at one of its bounds.</summary>
    public bool AtBound => LogMultiplier <= logMin || LogMultiplier >= logMax;

    /// <summary>Sets s = ∂ln Q/∂ln m (for example from a fresh derivative estimate); its magnitude is clamped to the options' [MinSensitivity, MaxSensitivity].</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sensitivity"/> is not finite or is 0.</exception>
    public void SetSensitivity(double sensitivity)
    {
        if (!double.IsFinite(sensitivity) || sensitivity == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(sensitivity), sensitivity, "The log-sensitivity ∂ln Q/∂ln m must be finite and ≠ 0.");
        }

        Sensitivity = Math.CopySign(Math.Clamp(Math.Abs(sensitivity), Options.MinSensitivity, Options.MaxSensitivity), sensitivity);
    }

    /// <summary>One inner-loop update from a training measurement of Q; returns the new multiplier.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="measurement"/> is not finite.</exception>
    public double Update(double measurement)
    {
        Guard.Finite(measurement, "The measurement");

        double alpha = Options.Smoothing;
        average = (alpha * average) + ((1 - alpha) * measurement);
        weight = (alpha * weight) + (1 - alpha);
        double error = (Smoothed - SetPoint) / Target;
        double change = error - (previousError ?? error);
        double step = -((Options.ProportionalGain * change) + (Options.IntegralGain * error)) / Sensitivity;
        step = Math.Clamp(step, -Options.MaxLogStep, Options.MaxLogStep);
        LogMultiplier = Math.Clamp(LogMultiplier + step, logMin, logMax);
        previousError = error;
        Updates++;
        return Multiplier;
    }

    /// <summary>
    /// One outer-loop correction from a held-out measurement of Q: the gap g between the held-out value and the
    /// smoothed training value is tracked as g ← g + k_O·((Q_held-out − Q̂) − g), and the training set point becomes
    /// Q* − g, bounded to Q*·(1 ± <see cref="ConstraintControllerOptions.MaxSetPointOffset"/>); returns the new set
    /// point. Before the first inner update (no Q̂ yet) nothing changes.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="heldOut"/> is not finite.</exception>
    public double CorrectSetPoint(double heldOut)
    {
        Guard.Finite(heldOut, "The held-out measurement");

        if (weight > 0)
        {
            double gap = Target - SetPoint;
            gap += Options.SetPointGain * ((heldOut - Smoothed) - gap);
            ClampSetPoint(Target - gap);
        }

        return SetPoint;
    }

    /// <summary>
    /// Puts the training set point at <paramref name="setPoint"/> (bounded like the outer loop's corrections), for
    /// example at the start, at Q* minus the gap measured between held-out and training data.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="setPoint"/> is not finite.</exception>
    public double ResetSetPoint(double setPoint)
    {
        Guard.Finite(setPoint, "The set point");

        ClampSetPoint(setPoint);
        return SetPoint;
    }

    /// <summary>Adds a feedforward change to u (clipped like an update, bounded); returns the new multiplier.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logChange"/> is not finite.</exception>
    public double Feedforward(double logChange)
    {
        Guard.Finite(logChange, "The feedforward change of ln m");

        LogMultiplier = Math.Clamp(LogMultiplier + Math.Clamp(logChange, -Options.MaxLogStep, Options.MaxLogStep), logMin, logMax);
        return Multiplier;
    }

    private void ClampSetPoint(double setPoint)
    {
        double offset = Options.MaxSetPointOffset * Target;
        SetPoint = Math.Clamp(setPoint, Target - offset, Target + offset);
    }

    /// <summary>A copy with the same state (for a rollback to a checkpoint).</summary>
    public ConstraintController Clone() => (ConstraintController)MemberwiseClone();

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"ConstraintController(Q* = {Target:G5}, set point {SetPoint:G5}, m = {Multiplier:G5}, Q̂ = {Smoothed:G5}, s = {Sensitivity:G3}, {Updates} updates)");
}
