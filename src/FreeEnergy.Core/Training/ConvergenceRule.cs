using System.Globalization;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Internal;
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
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range (the message names it).</exception>
    public ConvergenceRule(
        int window = Defaults.Window,
        double relativeTolerance = Defaults.RelativeTolerance,
        int maxEpochs = Defaults.MaxEpochs,
        int minEpochs = Defaults.MinEpochs,
        double? functionalTolerance = null)
    {
        if (functionalTolerance is double f)
        {
            Guard.Positive(f, "The functional tolerance", "(or null for none)", nameof(functionalTolerance));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        Guard.Positive(relativeTolerance, "The relative tolerance");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEpochs, 1);
        if (minEpochs < 1 || minEpochs > maxEpochs)
        {
            throw new ArgumentOutOfRangeException(nameof(minEpochs), minEpochs, string.Create(CultureInfo.InvariantCulture, $"The minimum number of epochs must be in [1, {maxEpochs}]."));
        }

        (Window, RelativeTolerance, MaxEpochs, MinEpochs, FunctionalTolerance) = (window, relativeTolerance, maxEpochs, minEpochs, functionalTolerance);
    }

    /// <summary>The default rule (<see cref="Defaults"/>).</summary>
    public static ConvergenceRule Default { get; } = new();

    /// <summary>Epochs over which J is compared (default <see cref="Defaults.Window"/>; ≥ 1).</summary>
    public int Window { get; init; }

    /// <summary>Largest relative change of J over the window that counts as converged (default <see cref="Defaults.RelativeTolerance"/>; finite, &gt; 0).</summary>
    public double RelativeTolerance { get; init; }

    /// <summary>The largest change of each of R, D and C over the window, as a fraction of max(|value|, 1 nat); null: not checked (the default).</summary>
    public double? FunctionalTolerance { get; init; }

    /// <summary>Upper bound on epochs per training call (default <see cref="Defaults.MaxEpochs"/>; ≥ 1).</summary>
    public int MaxEpochs { get; init; }

    /// <summary>Epochs always trained before the rule is checked (default <see cref="Defaults.MinEpochs"/>; in [1, <see cref="MaxEpochs"/>]).</summary>
    public int MinEpochs { get; init; }

    /// <summary>
    /// A rule that trains exactly <paramref name="epochs"/> epochs: nothing is checked before the last epoch, and at
    /// the last one the rule counts as met only when J changed by at most 10⁻¹² of |J| over it (in practice never,
    /// so <see cref="TrainingResult.Converged"/> is false). Use it for a fixed training budget (benchmarks, tests,
    /// a relaxation of a set length) instead of a tolerance nothing meets.
    /// </summary>
    /// <param name="epochs">The number of epochs, ≥ 1.</param>
    public static ConvergenceRule FixedEpochs(int epochs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        return new ConvergenceRule(window: 1, relativeTolerance: FixedEpochsTolerance, maxEpochs: epochs, minEpochs: epochs);
    }

    /// <summary>The relative tolerance of <see cref="FixedEpochs"/>: a change of J no training step leaves.</summary>
    private const double FixedEpochsTolerance = 1e-12;

    /// <summary>Every problem of this rule (after <c>with</c>, say), one sentence each; empty when valid.</summary>
    public IReadOnlyList<string> Problems() =>
        new ProblemList()
            .AtLeast(Window, 1, nameof(Window))
            .Positive(RelativeTolerance, nameof(RelativeTolerance))
            .AtLeast(MaxEpochs, 1, nameof(MaxEpochs))
            .Require(MinEpochs >= 1 && MinEpochs <= MaxEpochs, string.Create(CultureInfo.InvariantCulture, $"MinEpochs must be in [1, MaxEpochs = {MaxEpochs}]; it is {MinEpochs}."))
            .Require(FunctionalTolerance is not double f || Guard.IsPositive(f), $"FunctionalTolerance must be finite and > 0 (or null for none); it is {ProblemList.Format(FunctionalTolerance ?? 0)}.")
            .Problems;

    /// <summary>Throws <see cref="FreeEnergyConfigurationException"/> listing every problem, or returns this rule.</summary>
    public ConvergenceRule Validate()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new FreeEnergyConfigurationException(problems);
    }

    /// <summary>The defaults of a rule, one place for the constructor's optional parameters and the trainer's.</summary>
    public static class Defaults
    {
        /// <summary>Epochs over which J is compared.</summary>
        public const int Window = 3;

        /// <summary>Largest relative change of J over the window.</summary>
        public const double RelativeTolerance = 1e-3;

        /// <summary>Upper bound on epochs per training call.</summary>
        public const int MaxEpochs = 50;

        /// <summary>Epochs always trained before the rule is checked.</summary>
        public const int MinEpochs = 1;
    }

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
