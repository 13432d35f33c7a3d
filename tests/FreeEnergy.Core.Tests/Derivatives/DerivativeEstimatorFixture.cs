using System.Diagnostics;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Derivatives;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;

namespace FreeEnergy.Core.Tests.Derivatives;

/// <summary>
/// Trains a model to equilibrium once and runs the three estimators on it, timing each: the shared part of
/// the estimator test fixtures. The fixture owns the model and the data.
/// </summary>
public abstract class DerivativeEstimatorFixture : IDisposable
{
    protected DerivativeEstimatorFixture(
        LabeledTensorDataset data,
        RateDistortionModel model,
        EquilibriumTrainer trainer,
        Multipliers multipliers,
        double lambdaStep,
        double gammaStep,
        double minimumGammaStep)
    {
        Data = data;
        Model = model;
        Trainer = trainer;
        Multipliers = multipliers;
        var clock = Stopwatch.StartNew();
        Training = Trainer.Train(Model, Multipliers, Data);
        TrainingSeconds = clock.Elapsed.TotalSeconds;

        clock.Restart();
        Implicit = new ImplicitDerivativeEstimator().EstimateWithReport(Model, Multipliers, Data);
        ImplicitSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        FiniteDifference = new FiniteDifferenceEstimator().WithTrainer(Trainer).WithSteps(lambdaStep, gammaStep, minimumGammaStep).EstimateWithReport(Model, Multipliers, Data);
        FiniteDifferenceSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        Fluctuation = new EncoderFluctuationEstimator().Estimate(Model, Multipliers, Data);
        FluctuationSeconds = clock.Elapsed.TotalSeconds;
    }

    public Multipliers Multipliers { get; }

    public LabeledTensorDataset Data { get; }

    public RateDistortionModel Model { get; }

    public EquilibriumTrainer Trainer { get; }

    public TrainingResult Training { get; }

    public ImplicitDerivativeReport Implicit { get; }

    public FiniteDifferenceReport FiniteDifference { get; }

    public SurfaceDerivatives Fluctuation { get; }

    public double TrainingSeconds { get; }

    public double ImplicitSeconds { get; }

    public double FiniteDifferenceSeconds { get; }

    public double FluctuationSeconds { get; }

    public void Dispose()
    {
        Model.Dispose();
        Data.Dispose();
        GC.SuppressFinalize(this);
    }
}
