using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Internal;

namespace FreeEnergy.Core.Training;

/// <summary>
/// The settings of an <see cref="EquilibriumTrainer"/>: Adam, batch sizes, the convergence rule, learning-rate decays
/// and the relaxation options of issue 13. Immutable; change a copy with <c>with</c> or the trainer's <c>With…</c>
/// methods. Every default is declared once, in <see cref="Defaults"/>; <see cref="Problems"/> lists every problem at
/// once, and the trainer's constructor throws them all in one <see cref="FreeEnergyConfigurationException"/>.
/// </summary>
public sealed record EquilibriumTrainerOptions
{
    /// <summary>Adam's learning rate (default <see cref="Defaults.LearningRate"/>; finite, &gt; 0).</summary>
    public double LearningRate { get; init; } = Defaults.LearningRate;

    /// <summary>Adam's β₁ (default <see cref="Defaults.Beta1"/>; in [0, 1)).</summary>
    public double Beta1 { get; init; } = Defaults.Beta1;

    /// <summary>Adam's β₂ (default <see cref="Defaults.Beta2"/>; in [0, 1)).</summary>
    public double Beta2 { get; init; } = Defaults.Beta2;

    /// <summary>Examples per training step (default <see cref="Defaults.BatchSize"/>, as the authors; ≥ 1).</summary>
    public int BatchSize { get; init; } = Defaults.BatchSize;

    /// <summary>Examples per forward pass when evaluating (default <see cref="Defaults.EvaluationBatchSize"/>; ≥ 1).</summary>
    public int EvaluationBatchSize { get; init; } = Defaults.EvaluationBatchSize;

    /// <summary>The stopping rule (default <see cref="ConvergenceRule.Default"/>).</summary>
    public ConvergenceRule Convergence { get; init; } = ConvergenceRule.Default;

    /// <summary>The factor the learning rate is multiplied by each time the rule is met while decays remain (default 1: none; in (0, 1] ).</summary>
    public double DecayFactor { get; init; } = Defaults.DecayFactor;

    /// <summary>How many times the learning rate may be decayed before the rule ends training (default 0; ≥ 0).</summary>
    public int Decays { get; init; }

    /// <summary>The seed of the per-epoch shuffling, or null (the default) to use the model's seed.</summary>
    public long? ShuffleSeed { get; init; }

    /// <summary>Report progress every this many steps as well as at the end of each epoch (default 0: only per epoch; ≥ 0).</summary>
    public int ProgressInterval { get; init; }

    /// <summary>Whether to evaluate the functionals on the training data at the end (default true).</summary>
    public bool EvaluateTrainingData { get; init; } = true;

    /// <summary>
    /// The time constant, in epochs, of the exponential moving average of the weights (default 0: no averaging;
    /// finite, ≥ 0). When set, J is measured on the averaged weights and the model ends with them.
    /// </summary>
    public double AveragingEpochs { get; init; }

    /// <summary>Epochs of cosine learning-rate decay after the plateau (default 0: none; ≥ 0).</summary>
    public int CooldownEpochs { get; init; }

    /// <summary>The learning rate at the end of the cooldown, as a fraction of the learning rate at its start (default <see cref="Defaults.CooldownFinalFactor"/>; in (0, 1]).</summary>
    public double CooldownFinalFactor { get; init; } = Defaults.CooldownFinalFactor;

    /// <summary>Epochs of the large-batch polish with fixed noise after the plateau and cooldown (default 0: none; ≥ 0).</summary>
    public int PolishEpochs { get; init; }

    /// <summary>The batch size of the polish (default null: the whole training set, one step per epoch; else ≥ 1).</summary>
    public int? PolishBatchSize { get; init; }

    /// <summary>The learning rate of the polish as a multiple of the learning rate it starts from (default <see cref="Defaults.PolishLearningRateFactor"/>; finite, &gt; 0).</summary>
    public double PolishLearningRateFactor { get; init; } = Defaults.PolishLearningRateFactor;

    /// <summary>The learning rate of the encoder's log-variance head as a multiple of the others' (default <see cref="Defaults.VarianceHeadLearningRateFactor"/>; finite, &gt; 0).</summary>
    public double VarianceHeadLearningRateFactor { get; init; } = Defaults.VarianceHeadLearningRateFactor;

    /// <summary>Every problem of these settings (the convergence rule's included), one sentence each; empty when valid.</summary>
    public IReadOnlyList<string> Problems() =>
        new ProblemList()
            .Positive(LearningRate, nameof(LearningRate))
            .InRange(Beta1, 0, 1, true, false, nameof(Beta1))
            .InRange(Beta2, 0, 1, true, false, nameof(Beta2))
            .AtLeast(BatchSize, 1, nameof(BatchSize))
            .AtLeast(EvaluationBatchSize, 1, nameof(EvaluationBatchSize))
            .Nested(Convergence?.Problems(), nameof(Convergence))
            .InRange(DecayFactor, 0, 1, false, true, nameof(DecayFactor))
            .AtLeast(Decays, 0, nameof(Decays))
            .AtLeast(ProgressInterval, 0, nameof(ProgressInterval))
            .NonNegative(AveragingEpochs, nameof(AveragingEpochs))
            .AtLeast(CooldownEpochs, 0, nameof(CooldownEpochs))
            .InRange(CooldownFinalFactor, 0, 1, false, true, nameof(CooldownFinalFactor))
            .AtLeast(PolishEpochs, 0, nameof(PolishEpochs))
            .AtLeast(PolishBatchSize ?? 1, 1, nameof(PolishBatchSize))
            .Positive(PolishLearningRateFactor, nameof(PolishLearningRateFactor))
            .Positive(VarianceHeadLearningRateFactor, nameof(VarianceHeadLearningRateFactor))
            .Problems;

    /// <summary>Throws <see cref="FreeEnergyConfigurationException"/> listing every problem, or returns these settings.</summary>
    public EquilibriumTrainerOptions Validate()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new FreeEnergyConfigurationException(problems);
    }

    /// <summary>The defaults, one place for the initialisers above and every optional parameter of the trainer's <c>With…</c> methods.</summary>
    public static class Defaults
    {
        /// <summary>Adam's learning rate.</summary>
        public const double LearningRate = 1e-3;

        /// <summary>Adam's β₁.</summary>
        public const double Beta1 = 0.9;

        /// <summary>Adam's β₂.</summary>
        public const double Beta2 = 0.999;

        /// <summary>Examples per training step, as the authors.</summary>
        public const int BatchSize = 64;

        /// <summary>Examples per forward pass when evaluating.</summary>
        public const int EvaluationBatchSize = 1000;

        /// <summary>No learning-rate decay.</summary>
        public const double DecayFactor = 1.0;

        /// <summary>The final learning rate of a cooldown as a fraction of its starting one.</summary>
        public const double CooldownFinalFactor = 0.01;

        /// <summary>The polish trains at the learning rate it starts from.</summary>
        public const double PolishLearningRateFactor = 1.0;

        /// <summary>One learning rate for every weight.</summary>
        public const double VarianceHeadLearningRateFactor = 1.0;
    }
}
