using System.Text.Json;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Derivatives;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Processes;
using FreeEnergy.Core.Training;
using Xunit.Abstractions;

namespace FreeEnergy.Core.Tests.Processes;

public sealed class QuasiStaticProcessTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fe-process-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string PathOf(string name) => Path.Combine(directory, name);

    private static RateDistortionModel SmallModel(int classes) =>
        RateDistortionModel.CreateBuilder().WithInputShape(1, 4, 4).WithClasses(classes).WithMlp(16).WithLatentSize(3).WithSamples(4).WithSeed(4).Build();

    /// <summary>The relaxation: warm-started, a low learning rate decayed twice so that C settles to about 1%.</summary>
    private static EquilibriumTrainer Relaxation() =>
        new EquilibriumTrainer().WithAdam(3e-3).WithBatchSize(32).WithConvergence(window: 2, relativeTolerance: 2e-3, maxEpochs: 15).WithLearningRateDecay(0.3, 2).WithTrainingDataEvaluation(false);

    /// <summary>Brings a fresh model to equilibrium at the start (the process's precondition).</summary>
    private static TrainingResult Equilibrate(RateDistortionModel model, Multipliers start, LabeledTensorDataset data, int maxEpochs = 60) =>
        new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithConvergence(window: 3, relativeTolerance: 1e-3, maxEpochs: maxEpochs).WithLearningRateDecay(0.3, 1).WithTrainingDataEvaluation(false).Train(model, start, data);

    private void Print(ProcessTrajectory trajectory)
    {
        foreach (var s in trajectory.Steps)
        {
            output.WriteLine($"{s.Process} {s.Index}: r {s.Ratio:F2} λ {s.Lambda:F3} γ {s.Gamma:F4} R {s.Rate:F4} D {s.Distortion:F4} C {s.Classification:F4} drift {s.Drift:P2} held {s.WithinTolerance} corrections {s.Corrections} epochs {s.Epochs} source acc {s.SourceAccuracy:F3} target acc {s.TargetAccuracy:F3}");
        }

        output.WriteLine($"W = {trajectory.Work:F4}, ΔF = {trajectory.FreeEnergyChange:F4}, failed [{string.Join(", ", trajectory.FailedSteps)}]");
    }

    /// <remarks>
    /// Measured (seeded, one thread): drifts 0.16%, −0.29%, 1.31% with 1, 1, 0 corrections; R 3.61 → 3.03,
    /// D 4.29 → 4.55; W = −4.25 against ΔF = −4.43.
    /// </remarks>
    [Fact]
    public void IsoClassificationHoldsCWithinToleranceWhileLambdaHalvesAndTradesRateForDistortion()
    {
        using var data = TestData.Prototypes(256, 6, 11);
        using var model = SmallModel(6);
        var start = new Multipliers(2, 3);
        Assert.True(Equilibrate(model, start, data).Converged);
        var process = new QuasiStaticProcess(Relaxation(), new EncoderFluctuationEstimator()).WithMethod(ProcessMethod.PredictorCorrector).WithRecordFile(PathOf("iso.jsonl"));

        var trajectory = process.IsoClassification(model, start, [1.6, 1.3, 1.0], data, data);

        Print(trajectory);
        Assert.Equal(4, trajectory.Steps.Count);
        Assert.Equal(ProcessKind.IsoClassification, trajectory.Kind);
        Assert.True(trajectory.HeldEverywhere, $"steps not held: {string.Join(", ", trajectory.FailedSteps)}");
        double goal = trajectory.Target!.Value;
        Assert.All(trajectory.Steps, s => Assert.InRange(Math.Abs(s.Classification - goal) / goal, 0, process.Tolerance));
        Assert.True(trajectory.Steps[0].Lambda / trajectory.Final.Lambda >= 2);
        double rateChange = trajectory.Final.Rate - trajectory.Steps[0].Rate;
        double distortionChange = trajectory.Final.Distortion - trajectory.Steps[0].Distortion;
        Assert.True(rateChange * distortionChange < 0, $"R changed by {rateChange}, D by {distortionChange}");
        Assert.True(trajectory.Final.Gamma > start.Gamma, "lowering λ at constant C needs a higher γ");

        var loaded = ProcessTrajectory.Load(PathOf("iso.jsonl"));
        Assert.Equal(trajectory.Steps, loaded.Steps);
        Assert.Equal(trajectory.Work, loaded.Work, 12);
    }

    /// <remarks>
    /// Measured (seeded, one thread): C₀ = 0.124 on the source; r = ½ ends 94% above C₀ (γ 3 → 10.8, the
    /// bound on each correction and the cap of 3 limit it) and r = 1 21% below (γ 15.6): both reported as not
    /// held. Target accuracy 0 → 0.99, source accuracy 0.97 → 0.61.
    /// </remarks>
    [Fact]
    public void TransferHoldsTheMixturesClassificationLossOrReportsTheStepsWhereItCouldNot()
    {
        using var all = TestData.Prototypes(384, 6, 11);
        var (source, target) = TestData.SplitClasses(all, 3);
        using var s = source;
        using var t = target;
        using var model = SmallModel(6);
        var start = new Multipliers(2, 3);
        var equilibrium = Equilibrate(model, start, s, maxEpochs: 150);
        output.WriteLine($"source equilibrium after {equilibrium.Epochs} epochs");
        Assert.True(equilibrium.Converged);
        string checkpoint = PathOf("source.fe");
        model.Save(checkpoint);
        var tasks = new TaskMixture(s, t, 0);
        var process = new QuasiStaticProcess(Relaxation(), new EncoderFluctuationEstimator()).WithMethod(ProcessMethod.PredictorCorrector).WithMaxCorrections(3);

        var transfer = process.Transfer(model, start, tasks, tasks, steps: 2);

        Print(transfer);
        Assert.Equal([0.0, 0.5, 1.0], transfer.Steps.Select(p => p.Ratio!.Value));
        double c0 = transfer.Target!.Value;
        Assert.Equal(transfer.Steps[0].SourceClassification!.Value, c0, 12);
        Assert.All(transfer.Steps, p => Assert.Equal(2.0, p.Lambda));
        Assert.All(transfer.Steps, p => Assert.True(p.SourceAccuracy is not null && p.TargetAccuracy is not null));
        Assert.Equal(
            transfer.Steps.Where(p => Math.Abs(p.Classification - c0) / c0 > process.Tolerance).Select(p => p.Index),
            transfer.FailedSteps);
        Assert.All(transfer.Steps.Where(p => p.Index > 0), p => Assert.InRange(p.Corrections, 0, 3));
        Assert.True(transfer.Final.TargetAccuracy > 0.8, $"target accuracy {transfer.Final.TargetAccuracy}");

        // The authors' controller with a cap of one pass per step, and the fine-tuning baseline, on the same data.
        using var controlled = RateDistortionModel.Load(checkpoint);
        var authors = process.TransferWithAuthorsController(controlled, start, tasks, tasks, steps: 1, new AuthorsControllerOptions(epochsPerPass: 1, maxPassesPerStep: 1, batchSize: 32));
        Print(authors);
        var last = authors.Final;
        Assert.Equal(1.0, last.Ratio);
        Assert.Equal(1, last.Epochs);
        Assert.Equal(last.Classification < c0, last.WithinTolerance); // it stops at the cap while C ≥ C₀
        using var tuned = RateDistortionModel.Load(checkpoint);
        var fineTuning = process.FineTune(tuned, start, tasks, tasks, epochs: 2);
        Print(fineTuning);
        Assert.Equal(2, fineTuning.TotalEpochs);
        Assert.Equal(start, fineTuning.Final.Multipliers);
    }

    [Fact]
    public void AnUnreachableTargetStopsAtTheCapWithAClearResult()
    {
        using var data = TestData.Prototypes(128, 3, 5);
        using var model = SmallModel(3);
        var start = new Multipliers(2, 1);
        Equilibrate(model, start, data, maxEpochs: 10);
        var fast = new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithConvergence(window: 1, relativeTolerance: 1e-9, maxEpochs: 2).WithTrainingDataEvaluation(false);
        var process = new QuasiStaticProcess(fast, new EncoderFluctuationEstimator()).WithMethod(ProcessMethod.PredictorCorrector).WithMaxCorrections(2).WithStopOnFailure();

        // C = 1e-4 nats: a classifier on noisy prototypes gets nowhere near it, whatever γ.
        var trajectory = process.IsoClassification(model, start, [1.5, 1.0], data, data, target: 1e-4);

        Print(trajectory);
        Assert.True(trajectory.StoppedOnFailure);
        Assert.Equal(2, trajectory.Steps.Count);
        var failed = trajectory.Final;
        Assert.False(failed.WithinTolerance);
        Assert.Equal(2, failed.Corrections);
        Assert.Equal(6, failed.Epochs);
        Assert.True(failed.Drift > process.Tolerance);
        Assert.Contains(1, trajectory.FailedSteps);
        Assert.False(trajectory.HeldEverywhere);
    }

    [Fact]
    public void CancellationLeavesAValidTrajectoryFileOfTheFinishedSteps()
    {
        using var data = TestData.Prototypes(128, 3, 6);
        using var model = SmallModel(3);
        var start = new Multipliers(2, 1);
        Equilibrate(model, start, data, maxEpochs: 10);
        var fast = new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithConvergence(window: 1, relativeTolerance: 1e-9, maxEpochs: 1).WithTrainingDataEvaluation(false);
        string file = PathOf("cancelled.jsonl");
        var process = new QuasiStaticProcess(fast, new EncoderFluctuationEstimator()).WithMethod(ProcessMethod.PredictorCorrector).WithMaxCorrections(1).WithRecordFile(file);
        using var cts = new CancellationTokenSource();
        var reported = new List<ProcessStep>();
        var progress = new SynchronousProgress<ProcessStep>(step =>
        {
            reported.Add(step);
            if (step.Index == 1)
            {
                cts.Cancel();
            }
        });

        Assert.ThrowsAny<OperationCanceledException>(() => process.IsoClassification(model, start, [1.8, 1.6, 1.4], data, data, progress: progress, cancellationToken: cts.Token));

        var loaded = ProcessTrajectory.Load(file);
        Assert.Equal([0, 1], loaded.Steps.Select(s => s.Index));
        Assert.Equal(reported, loaded.Steps);
        Assert.False(File.Exists(file + ".tmp"));
    }

    [Fact]
    public void IsoRateIsoDistortionAndSchedulesRunTheirPathsWithoutLeakingTensors()
    {
        using var data = TestData.Prototypes(96, 3, 8);
        using var model = SmallModel(3);
        var start = new Multipliers(2, 1);
        Equilibrate(model, start, data, maxEpochs: 5);
        var fast = new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithConvergence(window: 1, relativeTolerance: 1e-9, maxEpochs: 1).WithTrainingDataEvaluation(false);
        var process = new QuasiStaticProcess(fast, new EncoderFluctuationEstimator()).WithMethod(ProcessMethod.PredictorCorrector).WithMaxCorrections(1);

        var isoRate = process.IsoRate(model, start, [1.8], data, data);
        long before = FreeEnergy.Core.Diagnostics.FreeEnergyRuntime.LiveTensorCount;
        var isoDistortion = process.IsoDistortion(model, isoRate.Final.Multipliers, [1.5, 2.0], data, data, DrivenMultiplier.Gamma);
        var schedule = process.FollowSchedule(model, isoDistortion.Final.Multipliers, [new(1.5, 1.0), new(1.2, 1.5)], data, data);
        Assert.Equal(before, FreeEnergy.Core.Diagnostics.FreeEnergyRuntime.LiveTensorCount);

        var back = process.Reverse(isoRate, model, data, data);
        Assert.Equal([1.8, 2.0], back.Steps.Select(s => s.Lambda));
        Assert.Equal(isoRate.Target, back.Target);
        var hysteresis = ProcessTrajectory.Hysteresis(isoRate, back);
        Assert.Equal([2.0, 1.8], hysteresis.Points.Select(p => p.Driven));
        Assert.Equal(isoRate.Work + back.Work, hysteresis.LoopWork, 12);
        Assert.Throws<ArgumentException>(() => process.Reverse(schedule, model, data, data));

        Assert.Equal(ProcessKind.IsoRate, isoRate.Kind);
        Assert.Equal(HeldQuantity.Rate, isoRate.Held);
        Assert.Equal(1.8, isoRate.Final.Lambda);
        Assert.Equal(isoRate.Steps[0].Rate, isoRate.Target);
        Assert.Equal(DrivenMultiplier.Gamma, isoDistortion.Driven);
        Assert.Equal([isoRate.Final.Gamma, 1.5, 2.0], isoDistortion.Steps.Select(s => s.Gamma));
        Assert.All(isoDistortion.Steps, s => Assert.True(s.Lambda > 0));
        Assert.All(isoDistortion.Steps, s => Assert.InRange(s.Corrections, 0, 1));
        Assert.Equal([new Multipliers(1.5, 1.0), new Multipliers(1.2, 1.5)], schedule.Steps.Skip(1).Select(s => s.Multipliers));
        Assert.All(schedule.Steps, s => Assert.True(s.WithinTolerance && s.Drift == 0 && s.Target is null));
        Assert.Equal(2, schedule.TotalEpochs);
    }

    [Fact]
    public void BadInputIsRejectedWithTheParameterName()
    {
        using var data = TestData.Prototypes(16, 3, 7);
        using var model = SmallModel(3);
        var process = new QuasiStaticProcess(new EquilibriumTrainer(), new EncoderFluctuationEstimator());
        var start = new Multipliers(1, 1);

        Assert.Equal("path", Assert.Throws<ArgumentException>(() => process.IsoClassification(model, start, [], data, data)).ParamName);
        Assert.Contains("λ must be", Assert.Throws<ArgumentException>(() => process.IsoClassification(model, start, [1.0, 0.0], data, data)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => process.IsoRate(model, start, [1.0, -1.0], data, data));
        Assert.Throws<ArgumentException>(() => process.IsoDistortion(model, start, [double.NaN], data, data, DrivenMultiplier.Gamma));
        Assert.Throws<ArgumentException>(() => process.IsoDistortion(model, start, [-0.5], data, data, DrivenMultiplier.Gamma));
        Assert.Equal("start", Assert.Throws<ArgumentOutOfRangeException>(() => process.IsoClassification(model, default(Multipliers), [1.0], data, data)).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentOutOfRangeException>(() => process.IsoClassification(model, start, [1.0], data, data, target: 0)).ParamName);
        Assert.Equal("held", Assert.Throws<ArgumentOutOfRangeException>(() => process.Run(HeldQuantity.None, model, start, [1.0], data, data)).ParamName);
        Assert.Throws<ArgumentNullException>(() => process.IsoClassification(null!, start, [1.0], data, data));
        Assert.Throws<ArgumentException>(() => process.FollowSchedule(model, start, [], data, data));
        Assert.Throws<ArgumentException>(() => process.FollowSchedule(model, start, [default], data, data));

        Assert.Equal("tolerance", Assert.Throws<ArgumentOutOfRangeException>(() => process.WithTolerance(0)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => process.WithTolerance(-0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => process.WithTolerance(double.PositiveInfinity));
        Assert.Equal("corrections", Assert.Throws<ArgumentOutOfRangeException>(() => process.WithMaxCorrections(-1)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => process.WithMaxRelativeChange(1));
        Assert.Throws<ArgumentException>(() => process.WithRecordFile(""));
        Assert.Throws<ArgumentNullException>(() => new QuasiStaticProcess(null!, new EncoderFluctuationEstimator()));
        Assert.Throws<ArgumentNullException>(() => new QuasiStaticProcess(new EquilibriumTrainer(), null!));

        var tasks = new TaskMixture(data, data, 0);
        Assert.Equal("steps", Assert.Throws<ArgumentOutOfRangeException>(() => process.Transfer(model, start, tasks, tasks, 0)).ParamName);
        Assert.Equal("lambdaPath", Assert.Throws<ArgumentException>(() => process.Transfer(model, start, tasks, tasks, 2, [1.0])).ParamName);
        Assert.Equal("lambdaPath", Assert.Throws<ArgumentException>(() => process.Transfer(model, start, tasks, tasks, 1, [0.0])).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => process.FineTune(model, start, tasks, tasks, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AuthorsControllerOptions(maxPassesPerStep: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AuthorsControllerOptions(gammaIncrement: 0));
    }

    [Fact]
    public void WorkHysteresisAndTheRecordFormatFollowTheirDefinitions()
    {
        // F(λ, γ) = ln λ + 2γ: D = ∂F/∂λ = 1/λ, C = ∂F/∂γ = 2. Along λ: 2 → 1 with γ = 1 + (2 − λ).
        static ProcessStep Point(int index, double lambda, double rateShift = 0) => new()
        {
            Kind = ProcessStep.KindName,
            Process = ProcessKind.IsoClassification,
            Held = HeldQuantity.Classification,
            Index = index,
            Lambda = lambda,
            Gamma = 3 - lambda,
            Rate = 1 + rateShift,
            Distortion = 1 / lambda,
            Classification = 2,
            FreeEnergy = Math.Log(lambda) + (2 * (3 - lambda)),
            Target = 2,
            Tolerance = 0.02,
        };

        var lambdas = Enumerable.Range(0, 101).Select(i => 2 - (i / 100.0)).ToArray();
        var forward = new ProcessTrajectory(lambdas.Select((l, i) => Point(i, l)));
        Assert.InRange(Math.Abs(forward.Work - forward.FreeEnergyChange), 0, 1e-4); // trapezoid error ~ h²
        Assert.True(forward.HeldEverywhere);

        var reverse = new ProcessTrajectory(lambdas.Reverse().Select((l, i) => Point(i, l, rateShift: 0.1)));
        var hysteresis = ProcessTrajectory.Hysteresis(forward, reverse);
        Assert.Equal(101, hysteresis.Points.Count);
        Assert.Equal(0, hysteresis.LoopWork, 9);
        Assert.Equal(0.1, hysteresis.MaxRateGap, 9);
        Assert.Equal(0, hysteresis.MaxFreeGap, 9);

        string file = PathOf("format.jsonl");
        new ProcessTrajectory(
            [Point(0, 2) with { Ratio = 0.5, SourceAccuracy = 0.9, TargetAccuracy = 0.4, WithinTolerance = false, Drift = 0.1 }],
            checks: [new ControllerCheck { Step = 1, Lambda = 2, Ratio = 0.25 }]).Save(file);
        using var line = JsonDocument.Parse(File.ReadAllLines(file).Single());
        Assert.Equal(0.5, line.RootElement.GetProperty("mix").GetDouble()); // ProcessStep.Ratio keeps the field name "mix"
        Assert.False(line.RootElement.TryGetProperty("ratio", out _));
        Assert.Equal(0.5, ProcessTrajectory.Load(file).Steps.Single().Ratio);
        using (var check = JsonDocument.Parse(File.ReadAllLines(ProcessTrajectory.ChecksPath(file)).Single()))
        {
            Assert.Equal(0.25, check.RootElement.GetProperty("mix").GetDouble()); // so does ControllerCheck.Ratio
            Assert.False(check.RootElement.TryGetProperty("ratio", out _));
        }

        Assert.Equal(0.25, ProcessTrajectory.Load(file).Checks.Single().Ratio);
        foreach (string name in new[] { "kind", "lambda", "gamma", "rate", "distortion", "classification", "accuracy", "freeEnergy", "drift", "mix", "sourceAccuracy", "targetAccuracy", "withinTolerance", "corrections", "epochs", "seconds" })
        {
            Assert.True(line.RootElement.TryGetProperty(name, out _), $"missing field '{name}'");
        }

        Assert.False(line.RootElement.TryGetProperty("multipliers", out _));
        Assert.Equal("isoClassification", line.RootElement.GetProperty("process").GetString());
        Assert.Equal([0], ProcessTrajectory.Load(file).FailedSteps);
        File.WriteAllText(file, "{\"kind\":\"something else\"}\n");
        Assert.Throws<InvalidDataException>(() => ProcessTrajectory.Load(file));
    }

    [Fact]
    public void EndpointRelaxationKeepsTheFieldNameMix()
    {
        // The main job writes end-point tests with System.Text.Json in camel case and its report reads "mix" back.
        var f = new Functionals(1, 2, 0.5, 0.75, 10);
        var relaxed = new EndpointRelaxation(HeldQuantity.Classification, 0.5, 0.01, new Multipliers(1, 2), 0.75, 3, f, f);
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(relaxed, options));
        Assert.Equal(0.75, json.RootElement.GetProperty("mix").GetDouble());
        Assert.False(json.RootElement.TryGetProperty("ratio", out _));
        Assert.Equal(0.75, JsonSerializer.Deserialize<EndpointRelaxation>(json.RootElement.GetRawText(), options)!.Ratio);
    }
}
