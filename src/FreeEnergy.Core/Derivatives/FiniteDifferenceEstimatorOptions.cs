using System.Globalization;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Training;

namespace FreeEnergy.Core.Derivatives;

/// <summary>
/// The settings of a <see cref="FiniteDifferenceEstimator"/>: the trainer of the relaxations, the steps, whether
/// the center is relaxed, and how D and C are measured. Immutable; change a copy with <c>with { … }</c> and pass
/// it to the estimator's constructor, which reports every problem at once.
/// </summary>
public sealed record FiniteDifferenceEstimatorOptions
{
    /// <summary>
    /// The trainer used for every relaxation (not modified by the estimator). Default: <see cref="Defaults.Trainer"/>.
    /// Pass the trainer that brought the model to equilibrium, or a tighter one: a relaxation that stops early
    /// biases the derivatives toward 0.
    /// </summary>
    public EquilibriumTrainer Trainer { get; init; } = Defaults.Trainer;

    /// <summary>h_λ / λ, in (0, 1) (default <see cref="Defaults.LambdaRelativeStep"/>).</summary>
    public double LambdaRelativeStep { get; init; } = Defaults.LambdaRelativeStep;

    /// <summary>h_γ / γ when that is at least <see cref="MinimumGammaStep"/>, finite and &gt; 0 (default <see cref="Defaults.GammaRelativeStep"/>).</summary>
    public double GammaRelativeStep { get; init; } = Defaults.GammaRelativeStep;

    /// <summary>The smallest h_γ, used near and at γ = 0, finite and &gt; 0 (default <see cref="Defaults.MinimumGammaStep"/>).</summary>
    public double MinimumGammaStep { get; init; } = Defaults.MinimumGammaStep;

    /// <summary>Whether the center is relaxed like its neighbours (default <see cref="Defaults.RelaxCenter"/>) or measured as given.</summary>
    public bool RelaxCenter { get; init; } = Defaults.RelaxCenter;

    /// <summary>The seed of the evaluation z-noise, or null (the default) for the model's evaluation default.</summary>
    public long? NoiseSeed { get; init; }

    /// <summary>Examples per forward pass when measuring D and C, ≥ 1 (default <see cref="Defaults.EvaluationBatchSize"/>).</summary>
    public int EvaluationBatchSize { get; init; } = Defaults.EvaluationBatchSize;

    /// <summary>Every problem of these settings, one sentence each; empty when they are valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        if (Trainer is null)
        {
            problems.Add("Trainer must not be null: pass the trainer that brought the model to equilibrium.");
        }

        if (!(LambdaRelativeStep > 0 && LambdaRelativeStep < 1))
        {
            problems.Add($"LambdaRelativeStep must be in (0, 1) so that λ − h_λ > 0; it is {F(LambdaRelativeStep)}.");
        }

        if (!(double.IsFinite(GammaRelativeStep) && GammaRelativeStep > 0))
        {
            problems.Add($"GammaRelativeStep must be finite and > 0; it is {F(GammaRelativeStep)}.");
        }

        if (!(double.IsFinite(MinimumGammaStep) && MinimumGammaStep > 0))
        {
            problems.Add($"MinimumGammaStep must be finite and > 0; it is {F(MinimumGammaStep)}.");
        }

        if (EvaluationBatchSize < 1)
        {
            problems.Add($"EvaluationBatchSize must be ≥ 1; it is {EvaluationBatchSize}.");
        }

        return problems;
    }

    /// <summary>Returns these settings, or throws <see cref="FreeEnergyConfigurationException"/> listing every problem.</summary>
    /// <exception cref="FreeEnergyConfigurationException">At least one setting is out of range.</exception>
    public FiniteDifferenceEstimatorOptions Validate()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new FreeEnergyConfigurationException(problems);
    }

    /// <summary>The default of every setting, the one place the <c>With…</c> methods' optional parameters refer to.</summary>
    public static class Defaults
    {
        /// <summary>h_λ = 0.1·λ.</summary>
        public const double LambdaRelativeStep = 0.1;

        /// <summary>h_γ = 0.1·γ when that is at least <see cref="MinimumGammaStep"/>.</summary>
        public const double GammaRelativeStep = 0.1;

        /// <summary>h_γ ≥ 0.1.</summary>
        public const double MinimumGammaStep = 0.1;

        /// <summary>The center is relaxed like its neighbours.</summary>
        public const bool RelaxCenter = true;

        /// <summary>1000 examples per forward pass.</summary>
        public const int EvaluationBatchSize = 1000;

        /// <summary>
        /// A new default relaxation trainer on every call: Adam 1e-3, batch 64, relative change of J below 1e-4 over
        /// 3 epochs (at most 100), then the learning rate cut twice by 0.3, no training-data evaluation.
        /// </summary>
        public static EquilibriumTrainer Trainer => new EquilibriumTrainer()
            .WithConvergence(window: 3, relativeTolerance: 1e-4, maxEpochs: 100)
            .WithLearningRateDecay(0.3, 2)
            .WithTrainingDataEvaluation(false);
    }
}
