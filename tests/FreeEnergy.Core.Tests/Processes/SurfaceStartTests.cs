using FreeEnergy.Core.Derivatives;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Processes;
using FreeEnergy.Core.Surface;
using FreeEnergy.Core.Training;

namespace FreeEnergy.Core.Tests.Processes;

/// <summary>Processes start from a surface point and produce surface points (issue 15: the surface is the hub a user holds).</summary>
public sealed class SurfaceStartTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fe-surface-start-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static RateDistortionModel SmallModel() =>
        RateDistortionModel.CreateBuilder().WithInputShape(1, 4, 4).WithClasses(3).WithMlp(16).WithLatentSize(3).WithSamples(2).WithSeed(4).Build();

    [Fact]
    public void AProcessFromASurfacePointEqualsOneFromItsMultipliersAndItsStepsAreSurfacePoints()
    {
        using var data = TestData.Prototypes(64, 3, 11);
        var trainer = new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithFixedEpochs(2).WithTrainingDataEvaluation(false);
        var surface = new SurfaceSweep(SmallModel, trainer).WithWorkers(1).WithRecordFile(Path.Combine(directory, "surface.jsonl"))
            .Run(SweepPlan.Grid([2.0], [1.0]), data, data);
        var point = Assert.Single(surface.Records);
        var process = new QuasiStaticProcess(trainer.WithFixedEpochs(1), new EncoderFluctuationEstimator()).WithMethod(ProcessMethod.PredictorCorrector).WithMaxCorrections(0);

        ProcessTrajectory fromPoint, fromMultipliers;
        using (var model = surface.LoadModel(point))
        {
            fromPoint = process.IsoClassification(model, point, [1.8], data, data);
        }

        using (var model = surface.LoadModel(point))
        {
            fromMultipliers = process.IsoClassification(model, new Multipliers(point.Lambda, point.Gamma), [1.8], data, data);
        }

        Assert.Equal(fromMultipliers.Steps.Select(s => s with { Seconds = 0 }), fromPoint.Steps.Select(s => s with { Seconds = 0 }));
        Assert.Equal(2, fromPoint.Points.Count);
        var first = fromPoint.Points[0];
        Assert.Equal((point.Lambda, point.Gamma), (first.Lambda, first.Gamma));
        Assert.Equal(fromPoint.Steps[1].Classification, fromPoint.Points[1].Classification);
        Assert.Equal(fromPoint.Steps[1].FreeEnergy, fromPoint.Points[1].FreeEnergy, 9);

        var diverged = point with { Status = SweepPointStatus.Diverged };
        using var any = SmallModel();
        Assert.Equal("start", Assert.Throws<ArgumentException>(() => process.IsoRate(any, diverged, [1.8], data, data)).ParamName);
    }
}
