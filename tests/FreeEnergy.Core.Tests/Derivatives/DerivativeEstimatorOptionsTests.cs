using FreeEnergy.Core.Derivatives;
using FreeEnergy.Core.Diagnostics;

namespace FreeEnergy.Core.Tests.Derivatives;

/// <summary>
/// The settings pattern of the three estimators: one options record whose initialisers are the nested defaults,
/// validated once with every problem reported together, and <c>With…</c> methods that return a new estimator and
/// leave the receiver unchanged.
/// </summary>
public class DerivativeEstimatorOptionsTests
{
    [Fact]
    public void EveryProblemOfTheOptionsIsReportedAtOnce()
    {
        var implicitError = Assert.Throws<FreeEnergyConfigurationException>(() => new ImplicitDerivativeEstimator(
            new ImplicitDerivativeEstimatorOptions { Damping = -1, Tolerance = 1, MaxIterations = 0, MaxExamples = 0, NoiseReplicas = 0, BatchSize = 0, MaxDampingIncreases = -1 }));
        Assert.Equal(7, implicitError.Problems.Count);
        Assert.Contains(implicitError.Problems, p => p.StartsWith("Damping must be finite and ≥ 0", StringComparison.Ordinal));

        var finiteError = Assert.Throws<FreeEnergyConfigurationException>(() => new FiniteDifferenceEstimator(
            new FiniteDifferenceEstimatorOptions { Trainer = null!, LambdaRelativeStep = 1, GammaRelativeStep = 0, MinimumGammaStep = double.NaN, EvaluationBatchSize = 0 }));
        Assert.Equal(5, finiteError.Problems.Count);

        var fluctuationError = Assert.Throws<FreeEnergyConfigurationException>(() => new EncoderFluctuationEstimator(new EncoderFluctuationEstimatorOptions { BatchSize = 0 }));
        Assert.Single(fluctuationError.Problems);
        Assert.Throws<ArgumentNullException>(() => new ImplicitDerivativeEstimator(null!));
    }

    [Fact]
    public void WithReturnsANewEstimatorAndLeavesTheReceiverUnchanged()
    {
        var implicitEstimator = new ImplicitDerivativeEstimator();
        var damped = implicitEstimator.WithDamping(1e-2).WithConjugateGradient(1e-4, 7).WithExamples(null, seed: 5);
        Assert.NotSame(implicitEstimator, damped);
        Assert.Equal(new ImplicitDerivativeEstimatorOptions(), implicitEstimator.Options);
        Assert.Equal(new ImplicitDerivativeEstimatorOptions { Damping = 1e-2, Tolerance = 1e-4, MaxIterations = 7, MaxExamples = null, SubsampleSeed = 5 }, damped.Options);
        Assert.Equal(damped.Options, damped.WithLogger(null).Options);

        var finite = new FiniteDifferenceEstimator();
        var steps = finite.WithSteps(lambdaRelative: 0.2).WithCenterRelaxation(false);
        Assert.Equal(FiniteDifferenceEstimatorOptions.Defaults.LambdaRelativeStep, finite.LambdaRelativeStep);
        Assert.True(finite.RelaxCenter);
        Assert.Equal(0.2, steps.LambdaRelativeStep);
        Assert.False(steps.RelaxCenter);
#pragma warning disable CS0618 // WithCentreRelaxation, kept because the docs used it.
        var british = finite.WithCentreRelaxation(false);
#pragma warning restore CS0618
        Assert.NotSame(finite, british);
        Assert.False(british.RelaxCenter);
        Assert.True(finite.RelaxCenter);
        Assert.Equal(finite.WithCenterRelaxation(false).Options, british.Options);

        var fluctuation = new EncoderFluctuationEstimator();
        Assert.Equal(40, fluctuation.WithBatchSize(40).BatchSize);
        Assert.Equal(EncoderFluctuationEstimatorOptions.Defaults.BatchSize, fluctuation.BatchSize);

        // A With… that fails leaves nothing half-set: the receiver still has its settings.
        Assert.Throws<ArgumentOutOfRangeException>(() => damped.WithConjugateGradient(1e-4, 0));
        Assert.Equal(7, damped.MaxIterations);
    }

    [Fact]
    public void TheOptionalParametersAreTheDefaults()
    {
        Assert.Equal(new ImplicitDerivativeEstimatorOptions(), new ImplicitDerivativeEstimator().WithDamping(0.5).WithDamping(ImplicitDerivativeEstimatorOptions.Defaults.Damping).WithConjugateGradient().Options);
        var finite = new FiniteDifferenceEstimator().WithSteps(0.3, 0.3, 0.3).WithSteps();
        Assert.Equal(
            (FiniteDifferenceEstimatorOptions.Defaults.LambdaRelativeStep, FiniteDifferenceEstimatorOptions.Defaults.GammaRelativeStep, FiniteDifferenceEstimatorOptions.Defaults.MinimumGammaStep),
            (finite.LambdaRelativeStep, finite.GammaRelativeStep, finite.MinimumGammaStep));

        // The default relaxation trainer is a new one per options object, so no two estimators share a trainer.
        Assert.NotSame(new FiniteDifferenceEstimatorOptions().Trainer, new FiniteDifferenceEstimatorOptions().Trainer);
        Assert.Equal(3, new FiniteDifferenceEstimator().Trainer.Convergence.Window);
    }
}
