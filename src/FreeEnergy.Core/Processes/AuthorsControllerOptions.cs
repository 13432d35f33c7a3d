using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Internal;

namespace FreeEnergy.Core.Processes;

/// <summary>
/// The constants of the authors' transfer controller (theory.md §4; their final code): λ moves toward
/// <see cref="LambdaMin"/> and γ rises by <see cref="GammaIncrement"/> on every extra pass while the mixture's
/// C is still ≥ C₀; every pass trains <see cref="EpochsPerPass"/> epochs, each with a fresh Adam optimizer
/// (<see cref="LearningRate"/>, batch <see cref="BatchSize"/>). Their loop has no cap; ours stops a step after
/// <see cref="MaxPassesPerStep"/> passes and reports it.
/// </summary>
public sealed record AuthorsControllerOptions
{
    /// <summary>Creates validated options (the defaults are the authors' values, plus a cap of 20 passes).</summary>
    /// <param name="lambdaMin">The value λ moves toward, &gt; 0.</param>
    /// <param name="gammaIncrement">The rise of γ per extra pass, &gt; 0.</param>
    /// <param name="epochsPerPass">Epochs per pass, ≥ 1.</param>
    /// <param name="maxPassesPerStep">The cap on passes per step, ≥ 1.</param>
    /// <param name="learningRate">Adam's learning rate, &gt; 0.</param>
    /// <param name="batchSize">The batch size, ≥ 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public AuthorsControllerOptions(
        double lambdaMin = Defaults.LambdaMin,
        double gammaIncrement = Defaults.GammaIncrement,
        int epochsPerPass = Defaults.EpochsPerPass,
        int maxPassesPerStep = Defaults.MaxPassesPerStep,
        double learningRate = Defaults.LearningRate,
        int batchSize = Defaults.BatchSize)
    {
        Guard.Positive(lambdaMin, nameof(lambdaMin));
        Guard.Positive(gammaIncrement, nameof(gammaIncrement));
        Guard.Positive(learningRate, nameof(learningRate));
        ArgumentOutOfRangeException.ThrowIfLessThan(epochsPerPass, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPassesPerStep, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        (LambdaMin, GammaIncrement, EpochsPerPass, MaxPassesPerStep, LearningRate, BatchSize) = (lambdaMin, gammaIncrement, epochsPerPass, maxPassesPerStep, learningRate, batchSize);
    }

    /// <summary>The value λ moves toward (authors: 0.5; finite, &gt; 0).</summary>
    public double LambdaMin { get; init; }

    /// <summary>The rise of γ per extra pass (authors: 0.1; finite, &gt; 0).</summary>
    public double GammaIncrement { get; init; }

    /// <summary>Epochs per pass (authors: 2; ≥ 1).</summary>
    public int EpochsPerPass { get; init; }

    /// <summary>The cap on passes per step (the authors have none; default 20; ≥ 1).</summary>
    public int MaxPassesPerStep { get; init; }

    /// <summary>Adam's learning rate (authors: 1e-3; finite, &gt; 0).</summary>
    public double LearningRate { get; init; }

    /// <summary>The batch size (authors: 64; ≥ 1).</summary>
    public int BatchSize { get; init; }

    /// <summary>Every problem of these options (after <c>with</c>, say), one sentence each; empty when valid.</summary>
    public IReadOnlyList<string> Problems() =>
        new ProblemList()
            .Positive(LambdaMin, nameof(LambdaMin))
            .Positive(GammaIncrement, nameof(GammaIncrement))
            .AtLeast(EpochsPerPass, 1, nameof(EpochsPerPass))
            .AtLeast(MaxPassesPerStep, 1, nameof(MaxPassesPerStep))
            .Positive(LearningRate, nameof(LearningRate))
            .AtLeast(BatchSize, 1, nameof(BatchSize))
            .Problems;

    /// <summary>Throws <see cref="FreeEnergyConfigurationException"/> listing every problem, or returns these options.</summary>
    public AuthorsControllerOptions Validate()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new FreeEnergyConfigurationException(problems);
    }

    /// <summary>The authors' values (and our cap), one place for the constructor's optional parameters.</summary>
    public static class Defaults
    {
        /// <summary>The value λ moves toward.</summary>
        public const double LambdaMin = 0.5;

        /// <summary>The rise of γ per extra pass.</summary>
        public const double GammaIncrement = 0.1;

        /// <summary>Epochs per pass.</summary>
        public const int EpochsPerPass = 2;

        /// <summary>The cap on passes per step.</summary>
        public const int MaxPassesPerStep = 20;

        /// <summary>Adam's learning rate.</summary>
        public const double LearningRate = 1e-3;

        /// <summary>The batch size.</summary>
        public const int BatchSize = 64;
    }
}
