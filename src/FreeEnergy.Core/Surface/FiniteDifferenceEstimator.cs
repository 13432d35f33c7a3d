using System.Diagnostics;
using System.Globalization;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
using Microsoft.Extensions.Logging;

namespace FreeEnergy.Core.Surface;

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
/// of stochastic training largely cancels in the differences. By default the centre (λ, γ) is relaxed the same
/// way, so that it carries the same residual training error as its neighbours.
/// </para>
/// <para>
/// Steps: h_λ = <see cref="LambdaRelativeStep"/>·λ and h_γ = max(<see cref="GammaRelativeStep"/>·γ,
/// <see cref="MinimumGammaStep"/>). When γ − h_γ &lt; 0 the γ-derivatives are forward differences from the
/// centre. Central differences have truncation error h²·F⁗/6; too small a step lets the relaxations' residual
/// error ε dominate (error ≈ ε/h). Uncertainty: for a central difference, |f₊ − 2f₀ + f₋| / (2h), half the
/// difference between the forward and the backward one-sided estimates. It contains the curvature term that
/// bounds the one-sided errors and about 1.7 times the relaxation noise of the central difference, so it is a
/// conservative scale of the error rather than a strict standard error; it is null for a one-sided difference.
/// </para>
/// <para>
/// Cost: five relaxations (four without centre relaxation; one fewer when γ is one-sided) plus five
/// evaluations. The model's weights, buffers, training mode and training-noise generator are restored on
/// return, also on an exception or cancellation.
/// </para>
/// </remarks>
public sealed class FiniteDifferenceEstimator : IDerivativeEstimator
{
    private ILogger? logger;

    /// <inheritdoc />
    public string Name => "finite-difference";

    /// <summary>
    /// The trainer used for every relaxation. Default: Adam 1e-3, batch 64, relative change of J below 1e-4 over
    /// 3 epochs (at most 100), then the learning rate cut twice by 0.3. Pass the trainer that brought the model
    /// to equilibrium, or a tighter one: a relaxation that stops early biases the derivatives toward 0.
    /// </summary>
    public EquilibriumTrainer Trainer { get; private set; } = new EquilibriumTrainer()
        .WithConvergence(window: 3, relativeTolerance: 1e-4, maxEpochs: 100)
        .WithLearningRateDecay(0.3, 2)
        .WithTrainingDataEvaluation(false);

    /// <summary>h_λ / λ, in (0, 1) (default 0.1).</summary>
    public double LambdaRelativeStep { get; private set; } = 0.1;

    /// <summary>h_γ / γ when that is at least <see cref="MinimumGammaStep"/>, &gt; 0 (default 0.1).</summary>
    public double GammaRelativeStep { get; private set; } = 0.1;

    /// <summary>The smallest h_γ, used near and at γ = 0 (default 0.1).</summary>
    public double MinimumGammaStep { get; private set; } = 0.1;

    /// <summary>Whether the centre is relaxed like its neighbours (default true) or measured as given.</summary>
    public bool RelaxCentre { get; private set; } = true;

    /// <summary>The seed of the evaluation z-noise, or null for the model's evaluation default.</summary>
    public long? NoiseSeed { get; private set; }

    /// <summary>Examples per forward pass when measuring D and C (default 1000).</summary>
    public int EvaluationBatchSize { get; private set; } = 1000;

    /// <summary>Sets the trainer used for the relaxations (not modified by the estimator).</summary>
    public FiniteDifferenceEstimator WithTrainer(EquilibriumTrainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        Trainer = trainer;
        return this;
    }

    /// <summary>Sets the steps: h_λ = <paramref name="lambdaRelative"/>·λ, h_γ = max(<paramref name="gammaRelative"/>·γ, <paramref name="minimumGamma"/>).</summary>
    /// <param name="lambdaRelative">In (0, 1).</param>
    /// <param name="gammaRelative">Finite and &gt; 0.</param>
    /// <param name="minimumGamma">Finite and &gt; 0.</param>
    public FiniteDifferenceEstimator WithSteps(double lambdaRelative = 0.1, double gammaRelative = 0.1, double minimumGamma = 0.1)
    {
        if (!(lambdaRelative > 0 && lambdaRelative < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(lambdaRelative), lambdaRelative, "The relative λ-step must be in (0, 1) so that λ − h_λ > 0.");
        }

        if (!(double.IsFinite(gammaRelative) && gammaRelative > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(gammaRelative), gammaRelative, "The relative γ-step must be finite and > 0.");
        }

        if (!(double.IsFinite(minimumGamma) && minimumGamma > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(minimumGamma), minimumGamma, "The minimum γ-step must be finite and > 0.");
        }

        (LambdaRelativeStep, GammaRelativeStep, MinimumGammaStep) = (lambdaRelative, gammaRelative, minimumGamma);
        return this;
    }

    /// <summary>Whether to relax the centre like its neighbours (true, the default) or measure the model as given.</summary>
    public FiniteDifferenceEstimator WithCentreRelaxation(bool enabled)
    {
        RelaxCentre = enabled;
        return this;
    }

    /// <summary>Sets the seed of the evaluation z-noise.</summary>
    public FiniteDifferenceEstimator WithNoiseSeed(long seed)
    {
        NoiseSeed = seed;
        return this;
    }

    /// <summary>Sets the examples per forward pass when measuring (≥ 1).</summary>
    public FiniteDifferenceEstimator WithEvaluationBatchSize(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        EvaluationBatchSize = batchSize;
        return this;
    }

    /// <summary>Sets the logger (one line per relaxation at Information, unconverged relaxations at Warning); default: the model's logger.</summary>
    public FiniteDifferenceEstimator WithLogger(ILogger? value)
    {
        logger = value;
        return this;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The data does not fit the model, or λ ≤ 0 (a default <see cref="Multipliers"/>).</exception>
    /// <exception cref="TrainingDivergedException">A relaxation diverged (the weights are restored).</exception>
    /// <exception cref="OperationCanceledException">Cancelled (the weights are restored).</exception>
    public SurfaceDerivatives Estimate(RateDistortionModel model, Multipliers multipliers, LabelledTensorDataset data, CancellationToken cancellationToken = default) =>
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
    public FiniteDifferenceReport EstimateWithReport(RateDistortionModel model, Multipliers multipliers, LabelledTensorDataset data, CancellationToken cancellationToken = default)
    {
        EstimatorChecks.RequireValidArguments(model, multipliers, data, cancellationToken);
        var log = logger ?? model.Logger;
        var clock = Stopwatch.StartNew();
        double lambda = multipliers.Lambda;
        double gamma = multipliers.Gamma;
        double lambdaStep = LambdaRelativeStep * lambda;
        double gammaStep = Math.Max(GammaRelativeStep * gamma, MinimumGammaStep);
        bool oneSided = gamma - gammaStep < 0;
        int epochs = 0;
        bool allConverged = true;

        using (var saved = ModelStateScope.Capture(model))
        {
            SurfacePoint Measure(double l, double g)
            {
                var f = model.Evaluate(data, EvaluationBatchSize, NoiseSeed);
                return new SurfacePoint(l, g, f.Rate, f.Distortion, f.Classification);
            }

            SurfacePoint Relax(double l, double g)
            {
                cancellationToken.ThrowIfCancellationRequested();
                saved.Restore();
                var result = Trainer.Train(model, new Multipliers(l, g), data, cancellationToken: cancellationToken);
                epochs += result.Epochs;
                allConverged &= result.Converged;
                if (!result.Converged)
                {
                    DerivativeLog.RelaxationNotConverged(log, l, g, result.Epochs);
                }

                var point = Measure(l, g);
                DerivativeLog.RelaxationFinished(log, l, g, result.Epochs, result.Converged, point.Distortion, point.Classification);
                return point;
            }

            var centre = RelaxCentre ? Relax(lambda, gamma) : Measure(lambda, gamma);
            var lambdaMinus = Relax(lambda - lambdaStep, gamma);
            var lambdaPlus = Relax(lambda + lambdaStep, gamma);
            var gammaMinus = oneSided ? null : Relax(lambda, gamma - gammaStep);
            var gammaPlus = Relax(lambda, gamma + gammaStep);

            var (dLambda, dLambdaError) = Central(lambdaMinus.Lambda, lambdaPlus.Lambda, lambdaMinus.Distortion, centre.Distortion, lambdaPlus.Distortion);
            var (cLambda, cLambdaError) = Central(lambdaMinus.Lambda, lambdaPlus.Lambda, lambdaMinus.Classification, centre.Classification, lambdaPlus.Classification);
            double dGamma, cGamma;
            double? dGammaError = null, cGammaError = null;
            if (gammaMinus is null)
            {
                double h = gammaPlus.Gamma - centre.Gamma;
                dGamma = (gammaPlus.Distortion - centre.Distortion) / h;
                cGamma = (gammaPlus.Classification - centre.Classification) / h;
            }
            else
            {
                (dGamma, dGammaError) = Central(gammaMinus.Gamma, gammaPlus.Gamma, gammaMinus.Distortion, centre.Distortion, gammaPlus.Distortion);
                (cGamma, cGammaError) = Central(gammaMinus.Gamma, gammaPlus.Gamma, gammaMinus.Classification, centre.Classification, gammaPlus.Classification);
            }

            var derivatives = new SurfaceDerivatives(dLambda, dGamma, cLambda, cGamma)
            {
                DLambdaUncertainty = dLambdaError,
                DGammaUncertainty = dGammaError,
                CLambdaUncertainty = cLambdaError,
                CGammaUncertainty = cGammaError,
            };
            var report = new FiniteDifferenceReport(derivatives, centre, lambdaMinus, lambdaPlus, gammaMinus, gammaPlus, lambdaStep, gammaStep, allConverged, epochs, clock.Elapsed);
            if (log.IsEnabled(LogLevel.Information))
            {
                string text = derivatives.ToString();
                double seconds = clock.Elapsed.TotalSeconds;
                DerivativeLog.FiniteDifferenceFinished(log, lambda, gamma, lambdaStep, gammaStep, oneSided, text, seconds);
            }

            return report;
        }
    }

    /// <summary>
    /// The central difference (f₊ − f₋)/(x₊ − x₋) at x₀ and half the difference of the one-sided differences,
    /// |f₊ − 2f₀ + f₋| / (x₊ − x₋) for equal steps.
    /// </summary>
    private static (double Value, double Uncertainty) Central(double xMinus, double xPlus, double fMinus, double fCentre, double fPlus)
    {
        double width = xPlus - xMinus;
        if (!(width > 0))
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The step vanished in floating point: x₋ = {xMinus:R}, x₊ = {xPlus:R}."));
        }

        return ((fPlus - fMinus) / width, Math.Abs(fPlus - (2 * fCentre) + fMinus) / width);
    }
}
