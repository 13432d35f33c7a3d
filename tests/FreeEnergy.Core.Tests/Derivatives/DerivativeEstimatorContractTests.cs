using FreeEnergy.Core.Derivatives;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
using Microsoft.Extensions.Logging;

namespace FreeEnergy.Core.Tests.Derivatives;

/// <summary>
/// What every derivative estimator promises regardless of the numbers: the model is left exactly as found (weights,
/// buffers, training mode, training-noise generator), no tensor leaks, cancellation is honoured and restores the
/// weights, bad input is rejected with the parameter's name. Tiny models, a few seconds in all.
/// </summary>
public class DerivativeEstimatorContractTests
{
    private static readonly Multipliers Point = new(1, 0.5);

    private static RateDistortionModel TinyModel(int samples = 2) =>
        RateDistortionModel.CreateBuilder().WithInputShape(1, 4, 4).WithClasses(3).WithMlp(8).WithLatentSize(2).WithSamples(samples).WithSeed(9).Build();

    private static EquilibriumTrainer OneEpoch() =>
        new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithFixedEpochs(1).WithTrainingDataEvaluation(false);

    private static IDerivativeEstimator Create(string name) => name switch
    {
        "implicit" => new ImplicitDerivativeEstimator().WithConjugateGradient(1e-6, 25),
        "implicit-float32" => new ImplicitDerivativeEstimator().WithFloat64(false).WithConjugateGradient(1e-6, 25),
        "implicit-batched" => new ImplicitDerivativeEstimator().WithBatchSize(24).WithExamples(48, seed: 3).WithConjugateGradient(1e-6, 10).WithAdaptiveDamping(1),
        "finite-difference" => new FiniteDifferenceEstimator().WithTrainer(OneEpoch()),
        "fluctuation" => new EncoderFluctuationEstimator().WithBatchSize(40),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private static byte[] NoiseState(RateDistortionModel model)
    {
        using var state = model.TrainingNoise.get_state();
        return [.. state.data<byte>()];
    }

    [Theory]
    [InlineData("implicit", true)]
    [InlineData("implicit-float32", false)]
    [InlineData("implicit-batched", true)]
    [InlineData("finite-difference", true)]
    [InlineData("finite-difference", false)]
    [InlineData("fluctuation", true)]
    public void TheModelIsLeftExactlyAsFoundAndNoTensorLeaks(string name, bool trainingMode)
    {
        using var data = TestData.Prototypes(96, 3, 1);
        using var model = TinyModel();
        var estimator = Create(name);
        estimator.Estimate(model, Point, data); // warm-up: lazily created native state
        model.Network.train(trainingMode);
        using var snapshot = WeightSnapshot.Capture(model.Network);
        byte[] noise = NoiseState(model);
        long before = FreeEnergyRuntime.LiveTensorCount;

        var derivatives = estimator.Estimate(model, Point, data);

        Assert.Equal(before, FreeEnergyRuntime.LiveTensorCount);
        Assert.Equal(0, snapshot.MaxAbsoluteDifference());
        Assert.Equal(trainingMode, model.Network.training);
        Assert.Equal(noise, NoiseState(model));
        Assert.True(double.IsFinite(derivatives.DLambda));
    }

    [Fact]
    public void TheNamesAreTheDocumentedOnes()
    {
        Assert.Equal("implicit", new ImplicitDerivativeEstimator().Name);
        Assert.Equal("finite-difference", new FiniteDifferenceEstimator().Name);
        Assert.Equal("fluctuation", new EncoderFluctuationEstimator().Name);
    }

    [Fact]
    public void FiniteDifferenceRestoresTheModelWhenCancelledInsideARelaxation()
    {
        using var data = TestData.Prototypes(96, 3, 2);
        using var model = TinyModel();
        using var cts = new CancellationTokenSource();
        int epochs = 0;
        var trainer = new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(16).WithFixedEpochs(2)
            .WithLogger(new CallbackLogger(id =>
            {
                if (id == 10 && ++epochs == 3)
                {
                    cts.Cancel(); // after the first epoch of the second relaxation: the weights have moved
                }
            }));
        var estimator = new FiniteDifferenceEstimator().WithTrainer(trainer);
        model.Network.eval();
        using var snapshot = WeightSnapshot.Capture(model.Network);
        byte[] noise = NoiseState(model);
        long before = FreeEnergyRuntime.LiveTensorCount;

        Assert.ThrowsAny<OperationCanceledException>(() => estimator.Estimate(model, Point, data, cts.Token));

        Assert.Equal(3, epochs);
        Assert.Equal(before, FreeEnergyRuntime.LiveTensorCount);
        Assert.Equal(0, snapshot.MaxAbsoluteDifference());
        Assert.False(model.Network.training);
        Assert.Equal(noise, NoiseState(model));
    }

    [Fact]
    public void ImplicitStopsBetweenConjugateGradientIterationsWhenCancelled()
    {
        using var data = TestData.Prototypes(96, 3, 3);
        using var model = TinyModel();
        using var cts = new CancellationTokenSource();
        var estimator = new ImplicitDerivativeEstimator().WithConjugateGradient(1e-6, 25)
            .WithLogger(new CallbackLogger(id =>
            {
                if (id == 401)
                {
                    cts.Cancel(); // after the first solve
                }
            }));
        estimator.Estimate(model, Point, data); // warm-up
        using var snapshot = WeightSnapshot.Capture(model.Network);
        long before = FreeEnergyRuntime.LiveTensorCount;

        Assert.ThrowsAny<OperationCanceledException>(() => estimator.Estimate(model, Point, data, cts.Token));

        Assert.Equal(before, FreeEnergyRuntime.LiveTensorCount);
        Assert.Equal(0, snapshot.MaxAbsoluteDifference());
        Assert.True(model.Network.training);
    }

    [Fact]
    public void FluctuationRejectsASingleSamplePerInput()
    {
        using var data = TestData.Prototypes(16, 3, 4);
        using var model = TinyModel(samples: 1);
        var error = Assert.Throws<ArgumentException>(() => new EncoderFluctuationEstimator().Estimate(model, Point, data));
        Assert.Equal("model", error.ParamName);
        Assert.Contains("K = 1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("implicit")]
    [InlineData("finite-difference")]
    [InlineData("fluctuation")]
    public void BadInputIsRejectedWithTheParameterName(string name)
    {
        using var model = TinyModel();
        var estimator = Create(name);
        using var wrongShape = TestData.GaussianSource([1.0, 2.0], 8, 5);
        var shape = Assert.Throws<ArgumentException>(() => estimator.Estimate(model, Point, wrongShape));
        Assert.Equal("data", shape.ParamName);
        Assert.Contains("[2]", shape.Message, StringComparison.Ordinal);

        using var data = TestData.Prototypes(16, 3, 6);
        var multipliers = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Estimate(model, default, data));
        Assert.Equal("multipliers", multipliers.ParamName);
        Assert.Throws<ArgumentNullException>(() => estimator.Estimate(null!, Point, data));
        Assert.Throws<ArgumentNullException>(() => estimator.Estimate(model, Point, null!));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => estimator.Estimate(model, Point, data, cts.Token));
    }

    [Fact]
    public void OptionsAreValidatedWhenSet()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImplicitDerivativeEstimator().WithDamping(-1e-3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImplicitDerivativeEstimator().WithDamping(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImplicitDerivativeEstimator().WithConjugateGradient(0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImplicitDerivativeEstimator().WithConjugateGradient(1e-6, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImplicitDerivativeEstimator().WithExamples(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImplicitDerivativeEstimator().WithNoiseReplicas(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImplicitDerivativeEstimator().WithAdaptiveDamping(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FiniteDifferenceEstimator().WithSteps(lambdaRelative: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FiniteDifferenceEstimator().WithSteps(gammaRelative: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FiniteDifferenceEstimator().WithSteps(minimumGamma: double.PositiveInfinity));
        Assert.Throws<ArgumentNullException>(() => new FiniteDifferenceEstimator().WithTrainer(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EncoderFluctuationEstimator().WithBatchSize(0));
    }

    [Fact]
    public void ImplicitWithoutAdaptiveDampingReportsNegativeCurvatureInsteadOfHidingIt()
    {
        // An untrained model is far from a minimum: H + 1e-4·I is indefinite.
        using var data = TestData.Prototypes(96, 3, 7);
        using var model = TinyModel();
        var logger = new CallbackLogger(_ => { });
        var fixedDamping = new ImplicitDerivativeEstimator().WithAdaptiveDamping(0).WithConjugateGradient(1e-6, 25).WithLogger(logger).EstimateWithReport(model, Point, data);
        var adaptive = new ImplicitDerivativeEstimator().WithConjugateGradient(1e-6, 200).EstimateWithReport(model, Point, data);

        Assert.True(fixedDamping.DistortionSolve.NegativeCurvature || fixedDamping.ClassificationSolve.NegativeCurvature);
        Assert.False(fixedDamping.Converged);
        Assert.Equal(1e-4, fixedDamping.Damping);
        Assert.Contains(logger.Ids, id => id == 402);
        Assert.True(adaptive.DampingIncreases > 0);
        Assert.True(adaptive.Damping > 1e-4);
        Assert.False(adaptive.DistortionSolve.NegativeCurvature);
        Assert.Equal(adaptive.Derivatives.DGamma, adaptive.Derivatives.CLambda);
    }

    [Fact]
    public void ImplicitWarnsThatTheClassifierIsNotPinnedAtGammaZero()
    {
        using var data = TestData.Prototypes(48, 3, 8);
        using var model = TinyModel();
        var logger = new CallbackLogger(_ => { });
        new ImplicitDerivativeEstimator().WithConjugateGradient(1e-3, 5).WithAdaptiveDamping(0).WithLogger(logger).Estimate(model, new Multipliers(1, 0), data);
        Assert.Contains(logger.Ids, id => id == 404);

        var quiet = new CallbackLogger(_ => { });
        new ImplicitDerivativeEstimator().WithConjugateGradient(1e-3, 5).WithAdaptiveDamping(0).WithLogger(quiet).Estimate(model, Point, data);
        Assert.DoesNotContain(quiet.Ids, id => id == 404);
    }

    /// <summary>Calls back with the event id of every entry.</summary>
    private sealed class CallbackLogger(Action<int> onEntry) : ILogger
    {
        public List<int> Ids { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            Ids.Add(eventId.Id);
            onEntry(eventId.Id);
        }
    }
}
