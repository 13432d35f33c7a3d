using FreeEnergy.Core.Identities;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Surface;
using FreeEnergy.Core.Training;
using Xunit.Abstractions;

namespace FreeEnergy.Core.Tests.Surface;

public sealed class SurfaceRepairTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fe-repair-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static RateDistortionModel SmallModel() => SurfaceSweepTests.SmallModel();

    private static EquilibriumTrainer Trainer(int maxEpochs) =>
        new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithConvergence(window: 2, relativeTolerance: 1e-9, maxEpochs: maxEpochs);

    [Fact]
    public void TheRepairLoopLowersTheFreeEnergyOfADeliberatelyUnderTrainedPoint()
    {
        using var training = TestData.Prototypes(192, 3, 5);
        using var evaluation = TestData.Prototypes(96, 3, 6);
        string path = Path.Combine(directory, "surface.jsonl");
        var plan = SweepPlan.Grid([4.0, 2.0, 1.0], [0.0, 2.0]);
        var good = new SurfaceSweep(SmallModel, Trainer(12)).WithRecordFile(path).Run(plan, training, evaluation);

        // Under-train one point: drop its record and train it again from the initial weights for 1 epoch.
        int target = good.Records.Single(r => r.Lambda == 2.0 && r.Gamma == 0.0).Index;
        new EquilibriumSurface(good.Records.Where(r => r.Index != target), directory).Save(path);
        var sweep = new SurfaceSweep(SmallModel, Trainer(1)).WithIndependentTraining().WithRecordFile(path);
        var damaged = sweep.Run(plan, training, evaluation);
        var before = damaged.Certify(CertificateData.Training);
        output.WriteLine($"before: {before}");
        Assert.Contains(target, before.FailedPoints);

        var statistics = damaged.Records[target].TrainingStatistics!;
        using (var model = damaged.LoadModel(damaged.Records[target]))
        {
            // The statistics share the evaluation's z-noise: the same means to the last bit.
            Assert.Equal(model.Evaluate(training).Rate, statistics.Rate);
            Assert.Equal(model.Evaluate(evaluation).Distortion, damaged.Records[target].EvaluationStatistics!.Distortion);
        }

        // Paired standard errors (both models on the same examples and z-noise) are far below the unpaired ones.
        var paired = damaged.Certify(CertificateData.Training, training);
        Assert.All(paired.Inequalities, i => Assert.True(i.Paired));
        Assert.Equal(before.Inequalities.Select(i => i.Size), paired.Inequalities.Select(i => i.Size));
        double Median(IEnumerable<double> values) => values.Order().ElementAt(values.Count() / 2);
        double pairedMedian = Median(paired.Inequalities.Select(i => i.StandardError!.Value));
        double unpairedMedian = Median(before.Inequalities.Select(i => i.StandardError!.Value));
        output.WriteLine($"median SE paired {pairedMedian:G3}, unpaired {unpairedMedian:G3} nats");
        Assert.True(pairedMedian < unpairedMedian, $"paired {pairedMedian}, unpaired {unpairedMedian}");

        var report = new SurfaceSweep(SmallModel, Trainer(12)).WithRecordFile(path).Repair(training, evaluation, new RepairBudget(maxRounds: 2, maxPoints: 4));
        foreach (var attempt in report.Attempts)
        {
            output.WriteLine(attempt.ToString());
        }

        output.WriteLine($"after: {report.After}; stop {report.Stop}, {report.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(CertificateData.Training, report.Data);
        Assert.InRange(report.Attempts.Count, 1, 4);
        Assert.InRange(report.Rounds.Count, 1, 2);
        var first = report.Attempts.First(a => a.Index == target);
        Assert.True(first.Accepted);
        Assert.True(first.FreeEnergyAfter < first.FreeEnergyBefore);
        Assert.NotEqual(target, first.StartFrom); // a neighbour's weights did better at the target's multipliers than its own
        double worstBefore = before.Points.Single(p => p.Index == target).WorstViolation;
        double worstAfter = report.After.Points.Single(p => p.Index == target).WorstViolation;
        Assert.True(worstAfter < worstBefore, $"worst violation at the target {worstBefore:G4} → {worstAfter:G4}");

        // The records file and the checkpoint hold the repaired point.
        var reloaded = EquilibriumSurface.Load(path);
        var repaired = reloaded.Records.Single(r => r.Index == target);
        Assert.True(repaired.Repairs >= 1);
        Assert.Equal(report.Surface.Records.Single(r => r.Index == target).Rate, repaired.Rate);
        using var saved = reloaded.LoadModel(repaired);
        Assert.Equal(repaired.TrainingStatistics!.Rate, saved.Evaluate(training).Rate);
    }

    [Fact]
    public void RepairNeedsARecordsFile()
    {
        using var data = TestData.Prototypes(32, 3, 1);
        var sweep = new SurfaceSweep(SmallModel, Trainer(1));
        var error = Assert.Throws<InvalidOperationException>(() => sweep.Repair(data, data, new RepairBudget()));
        Assert.Contains("WithRecordFile", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RepairBudget(maxRounds: 0));
    }
}
