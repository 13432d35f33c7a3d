using System.Diagnostics;
using System.Globalization;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Surface;
using FreeEnergy.Core.Training;
using Microsoft.Extensions.Logging;

namespace FreeEnergy.Core.Derivatives;

/// <summary>
/// Derivatives along the equilibrium surface by finite differences of relaxed models: starting each time from
/// the model's weights θ*, relax (train to equilibrium with <see cref="Trainer"/>) at (λ ± h_λ, γ) and
/// (λ, γ ± h_γ), measure D and C on the data with fixed z-noise (common random numbers), and take central
/// differences. The honest cross-check of the other estimators: it assumes nothing about the model except
/// that relaxation reaches equilibrium.
/// </summary>
/// <remarks>
/// <para>
/// Common random numbers go further than the evaluation: every relaxation starts from the same weights, with
/// the same minibatch order (the trainer's shuffle seed), a fresh optimizer and the model's training z-noise
/// generator reset to the same state, so the relaxations differ only through the multipliers, and the noise
/// of stochastic training largely cancels in the differences. By default the center (λ, γ) is relaxed the same
/// way, so that it carries the same residual training error as its neighbours.
/// </para>
/// <para>
/// Steps: h_λ = <see cref="LambdaRelativeStep"/>·λ and h_γ = max(<see cref="GammaRelativeStep"/>·γ,
/// <see cref="MinimumGammaStep"/>). When γ − h_γ &lt; 0 the γ-derivatives are forward differences from the
/// center. Central differences have truncation error h²·F⁗/6; too small a step lets the relaxations' residual
/// error ε dominate (error ≈ ε/h). Uncertainty: for a central difference, |f₊ − 2f₀ + f₋| / (2h), half the
/// difference between the forward and the backward one-sided estimates. It contains the curvature term that
/// bounds the one-sided errors and about 1.7 times the relaxation noise of the central difference, so it is a
/// conservative scale of the error rather than a strict standard error; it is null for a one-sided difference.
/// </para>
/// <para>
/// Cost: five relaxations (four without center relaxation; one fewer when γ is one-sided) plus five
/// evaluations. The model's weights, buffers, training mode and training-noise generator are restored on
/// return, also on an exception or cancellation.
/// </para>
/// </remarks>
public sealed class FiniteDifferenceEstimator : IDerivativeEstimator
{
    private readonly ILogger? logger;

    /// <summary>Creates an estimator with the default settings.</summary>
    public FiniteDifferenceEstimator()
        : this(new FiniteDifferenceEstimatorOptions())
    {
    }

    /// <summary>Creates an estimator with <paramref name="options"/>.</summary>
    /// <param name="options">The settings.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="FreeEnergyConfigurationException">A setting is out of range (every problem is listed).</exception>
    public FiniteDifferenceEstimator(FiniteDifferenceEstimatorOptions options)
        : this(options, null)
    {
    }

    private FiniteDifferenceEstimator(FiniteDifferenceEstimatorOptions options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Validate();
        this.logger = logger;
    }

    /// <inheritdoc />
    public string Name => "finite-difference";

    /// <summary>The settings.</summary>
    public FiniteDifferenceEstimatorOptions Options { get; }

    /// <summary>The trainer used for every relaxation (<see cref="FiniteDifferenceEstimatorOptions.Trainer"/>).</summary>
    public EquilibriumTrainer Trainer => Options.Trainer;

    /// <summary>h_λ / λ (<see cref="FiniteDifferenceEstimatorOptions.LambdaRelativeStep"/>).</summary>
    public double LambdaRelativeStep => Options.LambdaRelativeStep;

    /// <summary>h_γ / γ (<see cref="FiniteDifferenceEstimatorOptions.GammaRelativeStep"/>).</summary>
    public double GammaRelativeStep => Options.GammaRelativeStep;

    /// <summary>The smallest h_γ (<see cref="FiniteDifferenceEstimatorOptions.MinimumGammaStep"/>).</summary>
    public double MinimumGammaStep => Options.MinimumGammaStep;

    /// <summary>Whether the center is relaxed like its neighbours (<see cref="FiniteDifferenceEstimatorOptions.RelaxCenter"/>).</summary>
    public bool RelaxCenter => Options.RelaxCenter;

    /// <summary>The seed of the evaluation z-noise, or null for the model's evaluation default.</summary>
    public long? NoiseSeed => Options.NoiseSeed;

    /// <summary>Examples per forward pass when measuring D and C (<see cref="FiniteDifferenceEstimatorOptions.EvaluationBatchSize"/>).</summary>
    public int EvaluationBatchSize => Options.EvaluationBatchSize;

    /// <summary>A new estimator that relaxes with <paramref name="trainer"/> (not modified by the estimator).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="trainer"/> is null.</exception>
    public FiniteDifferenceEstimator WithTrainer(EquilibriumTrainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        return new(Options with { Trainer = trainer }, logger);
    }

    /// <summary>A new estimator with the steps h_λ = <paramref name="lambdaRelative"/>·λ, h_γ = max(<paramref name="gammaRelative"/>·γ, <paramref name="minimumGamma"/>).</summary>
    /// <param name="lambdaRelative">In (0, 1).</param>
    /// <param name="gammaRelative">Finite and &gt; 0.</param>
    /// <param name="minimumGamma">Finite and &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A step is out of range (the first such parameter is named).</exception>
    public FiniteDifferenceEstimator WithSteps(
        double lambdaRelative = FiniteDifferenceEstimatorOptions.Defaults.LambdaRelativeStep,
        double gammaRelative = FiniteDifferenceEstimatorOptions.Defaults.GammaRelativeStep,
        double minimumGamma = FiniteDifferenceEstimatorOptions.Defaults.MinimumGammaStep)
    {
        var options = Checked(Options with { LambdaRelativeStep = lambdaRelative }, nameof(lambdaRelative), lambdaRelative);
        options = Checked(options with { GammaRelativeStep = gammaRelative }, nameof(gammaRelative), gammaRelative);
        return new(Checked(options with { MinimumGammaStep = minimumGamma }, nameof(minimumGamma), minimumGamma), logger);
    }

    /// <summary>A new estimator that relaxes the center like its neighbours (true, the default) or measures the model as given.</summary>
    public FiniteDifferenceEstimator WithCenterRelaxation(bool enabled) => new(Options with { RelaxCenter = enabled }, logger);

    /// <summary>The British spelling of <see cref="WithCenterRelaxation"/>, kept because the docs used it.</summary>
    /// <param name="enabled">Whether the center is relaxed like its neighbours.</param>
    [Obsolete("Use WithCenterRelaxation.")]
    public FiniteDifferenceEstimator WithCentreRelaxation(bool enabled) => WithCenterRelaxation(enabled);

    /// <summary>A new estimator with the seed of the evaluation z-noise.</summary>
    public FiniteDifferenceEstimator WithNoiseSeed(long seed) => new(Options with { NoiseSeed = seed }, logger);

    /// <summary>A new estimator with this many examples per forward pass when measuring (≥ 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range.</exception>
    public FiniteDifferenceEstimator WithEvaluationBatchSize(int batchSize) =>
        new(Checked(Options with { EvaluationBatchSize = batchSize }, nameof(batchSize), batchSize), logger);

    /// <summary>A new estimator with this logger (one line per relaxation at Information, unconverged relaxations at Warning); default: the model's logger.</summary>
    public FiniteDifferenceEstimator WithLogger(ILogger? value) => new(Options, value);

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The data does not fit the model, or λ ≤ 0 (a default <see cref="Multipliers"/>).</exception>
    /// <exception cref="TrainingDivergedException">A relaxation diverged (the weights are restored).</exception>
    /// <exception cref="OperationCanceledException">Cancelled (the weights are restored).</exception>
    public SurfaceDerivatives Estimate(RateDistortionModel model, Multipliers multipliers, LabeledTensorDataset data, CancellationToken cancellationToken = default) =>
        EstimateWithReport(model, multipliers, data, cancellationToken).Derivatives;

    /// <summary>Estimates the derivatives like <see cref="Estimate"/> and returns the relaxed points with them.</summary>
    /// <param name="model">The model at equilibrium; its weights, buffers, mode and training-noise generator are unchanged on return.</param>
    /// <param name="multipliers">The multipliers the model was trained at.</param>
    /// <param name="data">The data the relaxations train on and D, C are measured on.</param>
    /// <param name="cancellationToken">Checked between relaxations and by the trainer between steps.</param>
    /// <returns>The derivatives and the points.</returns>
    /// <exception cref="ArgumentException">The data does not fit the model, or λ ≤ 0 (a default <see cref="Multipliers"/>).</exception>
    /// <exception cref="TrainingDivergedException">A relaxation diverged (the weights are restored).</exception>
    /// <exception cref="OperationCanceledException">Cancelled (the weights are restored).</exception>
    public FiniteDifferenceReport EstimateWithReport(RateDistortionModel model, Multipliers multipliers, LabeledTensorDataset data, CancellationToken cancellationToken = default)
    {
        EstimatorChecks.RequireValidArguments(model, multipliers, data, cancellationToken);
        var log = logger ?? model.Logger;
        var clock = Stopwatch.StartNew();
        double lambda = multipliers.Lambda;
        double gamma = multipliers.Gamma;
        double lambdaStep = LambdaRelativeStep * lambda;
        double gammaStep = Math.Max(GammaRelativeStep * gamma, MinimumGammaStep);
        bool oneSided = gamma - gammaStep < 0;
        using var relaxations = new Relaxations(this, model, data, log, cancellationToken);
        var center = RelaxCenter ? relaxations.Relax(lambda, gamma) : relaxations.Measure(lambda, gamma);
        var lambdaMinus = relaxations.Relax(lambda - lambdaStep, gamma);
        var lambdaPlus = relaxations.Relax(lambda + lambdaStep, gamma);
        var gammaMinus = oneSided ? null : relaxations.Relax(lambda, gamma - gammaStep);
        var gammaPlus = relaxations.Relax(lambda, gamma + gammaStep);
        var derivatives = Differences(center, lambdaMinus, lambdaPlus, gammaMinus, gammaPlus);
        var report = new FiniteDifferenceReport(derivatives, center, lambdaMinus, lambdaPlus, gammaMinus, gammaPlus, lambdaStep, gammaStep, relaxations.AllConverged, relaxations.Epochs, clock.Elapsed);
        if (log.IsEnabled(LogLevel.Information))
        {
            string text = derivatives.ToString();
            double seconds = clock.Elapsed.TotalSeconds;
            DerivativeLog.FiniteDifferenceFinished(log, lambda, gamma, lambdaStep, gammaStep, oneSided, text, seconds);
        }

        return report;
    }

    /// <summary>Central differences along λ and γ (forward along γ when there is no γ − h_γ point), with their uncertainties.</summary>
    private static SurfaceDerivatives Differences(SurfacePoint center, SurfacePoint lambdaMinus, SurfacePoint lambdaPlus, SurfacePoint? gammaMinus, SurfacePoint gammaPlus)
    {
        var (dLambda, dLambdaError) = Central(lambdaMinus.Lambda, lambdaPlus.Lambda, lambdaMinus.Distortion, center.Distortion, lambdaPlus.Distortion);
        var (cLambda, cLambdaError) = Central(lambdaMinus.Lambda, lambdaPlus.Lambda, lambdaMinus.Classification, center.Classification, lambdaPlus.Classification);
        double dGamma, cGamma;
        double? dGammaError = null, cGammaError = null;
        if (gammaMinus is null)
        {
            double h = gammaPlus.Gamma - center.Gamma;
            dGamma = (gammaPlus.Distortion - center.Distortion) / h;
            cGamma = (gammaPlus.Classification - center.Classification) / h;
        }
        else
        {
            (dGamma, dGammaError) = Central(gammaMinus.Gamma, gammaPlus.Gamma, gammaMinus.Distortion, center.Distortion, gammaPlus.Distortion);
            (cGamma, cGammaError) = Central(gammaMinus.Gamma, gammaPlus.Gamma, gammaMinus.Classification, center.Classification, gammaPlus.Classification);
        }

        return new SurfaceDerivatives(dLambda, dGamma, cLambda, cGamma)
        {
            DLambdaUncertainty = dLambdaError,
            DGammaUncertainty = dGammaError,
            CLambdaUncertainty = cLambdaError,
            CGammaUncertainty = cGammaError,
        };
    }

    private static FiniteDifferenceEstimatorOptions Checked(FiniteDifferenceEstimatorOptions options, string parameter, object? value) =>
        OptionsArgument.Checked(options, o => o.Problems(), parameter, value);

    /// <summary>
    /// The central difference (f₊ − f₋)/(x₊ − x₋) at x₀ and half the difference of the one-sided differences,
    /// |f₊ − 2f₀ + f₋| / (x₊ − x₋) for equal steps.
    /// </summary>
    private static (double Value, double Uncertainty) Central(double xMinus, double xPlus, double fMinus, double fCenter, double fPlus)
    {
        double width = xPlus - xMinus;
        if (!(width > 0))
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The step vanished in floating point: x₋ = {xMinus:R}, x₊ = {xPlus:R}."));
        }

        return ((fPlus - fMinus) / width, Math.Abs(fPlus - (2 * fCenter) + fMinus) / width);
    }

    /// <summary>
    /// The relaxations of one estimate with common random numbers: every one starts from the captured weights and
    /// training-noise state, which are restored (with the training mode) when it is disposed, also after an
    /// exception or cancellation.
    /// </summary>
    private sealed class Relaxations : IDisposable
    {
        private readonly FiniteDifferenceEstimator estimator;
        private readonly RateDistortionModel model;
        private readonly LabeledTensorDataset data;
        private readonly ILogger log;
        private readonly CancellationToken cancellationToken;
        private readonly ModelStateScope saved;

        public Relaxations(FiniteDifferenceEstimator estimator, RateDistortionModel model, LabeledTensorDataset data, ILogger log, CancellationToken cancellationToken)
        {
            (this.estimator, this.model, this.data, this.log, this.cancellationToken) = (estimator, model, data, log, cancellationToken);
            saved = ModelStateScope.Capture(model);
        }

        /// <summary>Training epochs over every relaxation so far.</summary>
        public int Epochs { get; private set; }

        /// <summary>Whether every relaxation so far met the trainer's convergence rule.</summary>
        public bool AllConverged { get; private set; } = true;

        /// <summary>D and C of the model as it is, with the estimator's evaluation z-noise.</summary>
        public SurfacePoint Measure(double lambda, double gamma)
        {
            var f = model.Evaluate(data, estimator.EvaluationBatchSize, estimator.NoiseSeed);
            return new SurfacePoint(lambda, gamma, f.Rate, f.Distortion, f.Classification);
        }

        /// <summary>Restores the weights and training noise, trains at (λ, γ) and measures.</summary>
        public SurfacePoint Relax(double lambda, double gamma)
        {
            cancellationToken.ThrowIfCancellationRequested();
            saved.Restore();
            var result = estimator.Trainer.Train(model, new Multipliers(lambda, gamma), data, cancellationToken: cancellationToken);
            Epochs += result.Epochs;
            AllConverged &= result.Converged;
            if (!result.Converged)
            {
                DerivativeLog.RelaxationNotConverged(log, lambda, gamma, result.Epochs);
            }

            var point = Measure(lambda, gamma);
            DerivativeLog.RelaxationFinished(log, lambda, gamma, result.Epochs, result.Converged, point.Distortion, point.Classification);
            return point;
        }

        public void Dispose() => saved.Dispose();
    }
}
