using System.Globalization;
using FreeEnergy.Core.Models;

namespace FreeEnergy.Core.Training;

/// <summary>
/// When training has reached equilibrium: the objective J = R + λD + γC, measured on the evaluation data
/// after every epoch (with common random numbers), changed by at most <see cref="RelativeTolerance"/>
/// (relative to |J|) over the last <see cref="Window"/> epochs. Training always stops after
/// <see cref="MaxEpochs"/> epochs; then the result says it did not converge. Optionally
/// (<see cref="FunctionalTolerance"/>) each of R, D and C must also have settled: J can be dominated by
/// one term (D of an image model is hundreds of nats, R tens), so a relative change of J says little
/// about a smaller term that is still drifting.
/// </summary>
public sealed record ConvergenceRule
{
    /// <summary>Creates a validated rule.</summary>
    /// <param name="window">Epochs over which J is compared, ≥ 1.</param>
    /// <param name="relativeTolerance">Largest relative change of J over the window, &gt; 0.</param>
    /// <param name="maxEpochs">Upper bound on epochs, ≥ 1.</param>
    /// <param name="minEpochs">Epochs always trained before the rule is checked, in [1, maxEpochs].</param>
    /// <param name="functionalTolerance">
    /// When set (&gt; 0), each of R, D and C must also change over the window by at most this fraction of
    /// max(|value|, 1 nat).
    /// </param>
    public ConvergenceRule(int window = 3, double relativeTolerance = 1e-3, int maxEpochs = 50, int minEpochs = 1, double? functionalTolerance = null)
    {
        if (functionalTolerance is double f && !(double.IsFinite(f) && f > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(functionalTolerance), functionalTolerance, "The functional tolerance must be finite and > 0 (or null for none).");
        }

        FunctionalTolerance = functionalTolerance;
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        if (!(double.IsFinite(relativeTolerance) && relativeTolerance > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(relativeTolerance), relativeTolerance, "The relative tolerance must be finite and > 0.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxEpochs, 1);
        if (minEpochs < 1 || minEpochs > maxEpochs)
        {
            throw new ArgumentOutOfRangeException(nameof(minEpochs), minEpochs, string.Create(CultureInfo.InvariantCulture, $"The minimum number of epochs must be in [1, {maxEpochs}]."));
        }

        Window = window;
        RelativeTolerance = relativeTolerance;
        MaxEpochs = maxEpochs;
        MinEpochs = minEpochs;
    }

    /// <summary>Epochs over which J is compared.</summary>
    public int Window { get; }

    /// <summary>Largest relative change of J over the window that counts as converged.</summary>
    public double RelativeTolerance { get; }

    /// <summary>The largest change of each of R, D and C over the window, as a fraction of max(|value|, 1 nat); null: not checked.</summary>
    public double? FunctionalTolerance { get; }

    /// <summary>Upper bound on epochs per training call.</summary>
    public int MaxEpochs { get; }

    /// <summary>Epochs always trained before the rule is checked.</summary>
    public int MinEpochs { get; }

    /// <summary>
    /// The relative change of J over the window at the end of the history, or null when the history is
    /// too short (fewer than max(<see cref="MinEpochs"/>, <see cref="Window"/> + 1) epochs).
    /// </summary>
    public double? RelativeChange(IReadOnlyList<double> objectiveHistory)
    {
        ArgumentNullException.ThrowIfNull(objectiveHistory);
        int n = objectiveHistory.Count;
        if (n < MinEpochs || n < Window + 1)
        {
            return null;
        }

        double current = objectiveHistory[n - 1];
        double earlier = objectiveHistory[n - 1 - Window];
        return Math.Abs(current - earlier) / Math.Max(Math.Abs(current), 1e-12);
    }

    /// <summary>Whether the history meets the rule.</summary>
    public bool IsConverged(IReadOnlyList<double> objectiveHistory) =>
        RelativeChange(objectiveHistory) is double change && change <= RelativeTolerance;

    /// <summary>
    /// Whether R, D and C have each settled over the window at the end of <paramref name="history"/>
    /// (always true when <see cref="FunctionalTolerance"/> is null; false while the history is shorter
    /// than the window + 1).
    /// </summary>
    public bool FunctionalsSettled(IReadOnlyList<Functionals> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (FunctionalTolerance is not double tolerance)
        {
            return true;
        }

        int n = history.Count;
        if (n < Window + 1)
        {
            return false;
        }

        var (now, then) = (history[n - 1], history[n - 1 - Window]);
        static bool Settled(double a, double b, double t) => Math.Abs(a - b) <= t * Math.Max(Math.Abs(a), 1.0);
        return Settled(now.Rate, then.Rate, tolerance) && Settled(now.Distortion, then.Distortion, tolerance) && Settled(now.Classification, then.Classification, tolerance);
    }
}
