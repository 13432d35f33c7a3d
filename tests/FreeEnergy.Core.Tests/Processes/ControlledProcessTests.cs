using FreeEnergy.Core.Data;
using FreeEnergy.Core.Derivatives;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Processes;
using FreeEnergy.Core.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Tests.Processes;

/// <summary>
/// The default method (<see cref="ProcessMethod.Controlled"/>) on small data: 6-class noisy 4×4 prototypes, a
/// 16-unit MLP, batch 32 (8 steps per epoch), the held quantity checked on held-out data of the same source.
/// </summary>
public sealed class ControlledProcessTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fe-controlled-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string PathOf(string name) => Path.Combine(directory, name);

    private static RateDistortionModel SmallModel(int classes, long seed = 4) =>
        RateDistortionModel.CreateBuilder().WithInputShape(1, 4, 4).WithClasses(classes).WithMlp(16).WithLatentSize(3).WithSamples(4).WithSeed(seed).Build();

    /// <summary>Training and held-out halves of one set of noisy prototypes (the held-out data must share the prototypes).</summary>
    private static (LabeledTensorDataset Training, LabeledTensorDataset Evaluation) Data(int count, int classes, ulong seed)
    {
        using var all = TestData.Prototypes(count, classes, seed);
        return all.Split(0.5, 1);
    }

    private static EquilibriumTrainer Trainer() => new EquilibriumTrainer().WithAdam(3e-3).WithBatchSize(32).WithTrainingDataEvaluation(false);

    /// <summary>Small data settles in a few steps: a slow ramp and long dwells in epochs are still cheap.</summary>
    private static RampProtocol Protocol() => RampProtocol.Default with { RampEpochs = 4, MaxDwellChecks = 40 };

    private static TrainingResult Equilibrate(RateDistortionModel model, Multipliers start, LabeledTensorDataset training, LabeledTensorDataset evaluation, int maxEpochs = 80) =>
        new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithConvergence(window: 3, relativeTolerance: 1e-3, maxEpochs: maxEpochs).WithLearningRateDecay(0.3, 1).WithTrainingDataEvaluation(false).Train(model, start, training, evaluation);

    private void Print(ProcessTrajectory trajectory)
    {
        foreach (var s in trajectory.Steps)
        {
            output.WriteLine($"{s.Process} {s.Index}: r {s.Ratio:F2} λ {s.Lambda:F3} γ {s.Gamma:F4} R {s.Rate:F4} D {s.Distortion:F4} C {s.Classification:F4} drift {s.Drift:P2} held {s.WithinTolerance} rollbacks {s.Corrections} steps {s.OptimizationSteps} source acc {s.SourceAccuracy:F3} target acc {s.TargetAccuracy:F3}");
        }

        output.WriteLine($"{trajectory.Checks.Count} checks; W = {trajectory.Work:F4}, ΔF = {trajectory.FreeEnergyChange:F4}, failed [{string.Join(", ", trajectory.FailedSteps)}]");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // fed forward from the encoder-fluctuation slopes
    public void IsoClassificationHoldsTheHeldOutCAtEveryStepWhileLambdaHalvesAndTradesRateForDistortion(bool feedforward)
    {
        var (training, evaluation) = Data(512, 6, 11);
        using var t1 = training;
        using var e1 = evaluation;
        using var model = SmallModel(6);
        var start = new Multipliers(2, 3);
        Assert.True(Equilibrate(model, start, training, evaluation).Converged);
        string file = PathOf("iso.jsonl");
        var process = new QuasiStaticProcess(Trainer(), new EncoderFluctuationEstimator()).WithProtocol(Protocol() with { Feedforward = feedforward }).WithRecordFile(file);
        long before = FreeEnergyRuntime.LiveTensorCount;

        var trajectory = process.IsoClassification(model, start, [1.6, 1.3, 1.0], training, evaluation);

        Assert.Equal(before, FreeEnergyRuntime.LiveTensorCount);
        Print(trajectory);
        Assert.Equal(ProcessMethod.Controlled, process.Method);
        Assert.Equal([2.0, 1.6, 1.3, 1.0], trajectory.Steps.Select(s => s.Lambda));
        Assert.True(trajectory.HeldEverywhere, $"steps not held: {string.Join(", ", trajectory.FailedSteps)}");
        Assert.All(trajectory.Steps, s => Assert.InRange(Math.Abs(s.Drift), 0, process.Tolerance));
        var (first, last) = (trajectory.Steps[0], trajectory.Final);
        Assert.True(last.Rate < first.Rate && last.Distortion > first.Distortion, $"R {first.Rate:F3} → {last.Rate:F3}, D {first.Distortion:F3} → {last.Distortion:F3}");

        // Every check is recorded, and the held-out value a step records is the one its last check measured.
        Assert.NotEmpty(trajectory.Checks);
        foreach (var step in trajectory.Steps.Skip(1))
        {
            var lastCheck = trajectory.Checks.Last(c => c.Step == step.Index);
            Assert.Equal(step.Classification, lastCheck.HeldOut, 12);
            Assert.Equal("dwell", lastCheck.Phase);
            Assert.True(step.OptimizationSteps > 0);
        }

        var loaded = ProcessTrajectory.Load(file);
        Assert.Equal(trajectory.Steps, loaded.Steps);
        Assert.Equal(trajectory.Checks, loaded.Checks);
    }

    [Fact]
    public void TransferHoldsTheMixturesCOrReportsTheStepsWhereItCouldNot()
    {
        var (all, tests) = Data(768, 6, 11);
        using var a1 = all;
        using var t1 = tests;
        var (source, target) = TestData.SplitClasses(all, 3);
        var (sourceTest, targetTest) = TestData.SplitClasses(tests, 3);
        using var s = source;
        using var t = target;
        using var st = sourceTest;
        using var tt = targetTest;
        using var model = SmallModel(6);
        var start = new Multipliers(2, 3);
        Assert.True(Equilibrate(model, start, s, st, maxEpochs: 150).Converged);
        var process = new QuasiStaticProcess(Trainer(), new EncoderFluctuationEstimator()).WithProtocol(Protocol());

        var transfer = process.Transfer(model, start, new TaskMixture(s, t, 0), new TaskMixture(st, tt, 0), steps: 2);

        Print(transfer);
        Assert.Equal([0.0, 0.5, 1.0], transfer.Steps.Select(p => p.Ratio!.Value));
        double c0 = transfer.Target!.Value;
        Assert.Equal(transfer.Steps[0].SourceClassification!.Value, c0, 12);
        Assert.Equal(transfer.Steps.Where(p => Math.Abs(p.Drift) > process.Tolerance).Select(p => p.Index), transfer.FailedSteps);
        Assert.All(transfer.Steps.Skip(1), p => Assert.True(p.ExamplesSeen == 2 * 32 * p.OptimizationSteps || p.ExamplesSeen < 2 * 32 * p.OptimizationSteps));
        Assert.True(transfer.Final.TargetAccuracy > 0.8, $"target accuracy {transfer.Final.TargetAccuracy}");
        // Measured: C₀ = 0.154 (97% source accuracy) is near the floor, and at r = 0.5 the unseen classes hold C far
        // above it while they are learnt: step 1 is not held (drift +313%), step 2 is (−1.2%). A slower ramp
        // (4 steps, 10 epochs each) did worse: γ climbs to hundreds while the new classes are learnt, then C falls
        // far below C₀. What this test pins is that every step outside the band is reported, never hidden.
        Assert.All(transfer.Steps.Where(p => p.WithinTolerance), p => Assert.InRange(Math.Abs(p.Drift), 0, process.Tolerance));
        Assert.Contains(transfer.Checks, c => c.Phase == "dwell" && c.Step == 1);

        // The governor: while step 1 is far above the band (advancing r adds more of the unseen classes), r waits;
        // it moves on when the slowed checks are spent or C is back near the band, and every ramp still ends.
        var ramp = transfer.Checks.Where(c => c.Step == 1 && c.Phase == "ramp").ToList();
        int waited = ramp.Zip(ramp.Skip(1)).Count(p => p.Second.Ratio == p.First.Ratio);
        output.WriteLine($"step 1: {ramp.Count} ramp checks, r unchanged across {waited} of them");
        // Each ramp is bounded: the first, the half step after a rollback, and the step again once out of halvings.
        Assert.InRange(waited, 1, (Protocol().MaxHalvings + 2) * Protocol().MaxGovernedChecks);

        // The end point relaxed at its fixed multipliers, on the mixture at the final r.
        var tasks = new TaskMixture(s, t, 0);
        var testTasks = new TaskMixture(st, tt, 0);
        Assert.Throws<ArgumentException>("trajectory", () => process.RelaxEndpoint(model, transfer, s, st, 2));
        var relaxed = process.RelaxEndpoint(model, transfer, tasks, testTasks, 2);
        output.WriteLine($"end point relaxed 2 epochs: C {relaxed.HeldBefore:F4} → {relaxed.HeldAfter:F4} (move {relaxed.RelativeMove:P1} of C₀, still held {relaxed.StillHeld})");
        Assert.Equal(1.0, relaxed.Ratio);
        Assert.Equal(transfer.Final.Classification, relaxed.HeldBefore, 12);
        Assert.Equal(new Multipliers(transfer.Final.Lambda, transfer.Final.Gamma), relaxed.Multipliers);
        Assert.NotEqual(relaxed.HeldBefore, relaxed.HeldAfter);
    }

    [Fact]
    public void RelaxingTheEndPointTrainsOnAtItsFixedMultipliersAndReportsHowFarTheHeldValueMoves()
    {
        var (training, evaluation) = Data(256, 4, 12);
        using var t1 = training;
        using var e1 = evaluation;
        using var model = SmallModel(4);
        var start = new Multipliers(2, 2);
        Equilibrate(model, start, training, evaluation, maxEpochs: 40);
        var process = new QuasiStaticProcess(Trainer(), new EncoderFluctuationEstimator()).WithProtocol(Protocol() with { RampEpochs = 1, MaxDwellChecks = 8 });
        var trajectory = process.IsoClassification(model, start, [1.5], training, evaluation);
        long before = FreeEnergyRuntime.LiveTensorCount;

        var relaxed = process.RelaxEndpoint(model, trajectory, training, evaluation, 3);

        Assert.Equal(before, FreeEnergyRuntime.LiveTensorCount);
        output.WriteLine($"C {relaxed.HeldBefore:F4} → {relaxed.HeldAfter:F4} (goal {relaxed.Goal:F4}; move {relaxed.RelativeMove:P2}, drift after {relaxed.DriftAfter:P2})");
        Assert.Equal(HeldQuantity.Classification, relaxed.Held);
        Assert.Equal(trajectory.Target!.Value, relaxed.Goal);
        Assert.Equal(trajectory.Final.Classification, relaxed.HeldBefore, 12);
        Assert.Equal(new Multipliers(1.5, trajectory.Final.Gamma), relaxed.Multipliers);
        Assert.Null(relaxed.Ratio);
        Assert.Equal(3, relaxed.Epochs);
        Assert.NotEqual(relaxed.HeldBefore, relaxed.HeldAfter);
        Assert.Equal((relaxed.HeldAfter - relaxed.HeldBefore) / relaxed.Goal, relaxed.RelativeMove, 12);
        Assert.Equal(Math.Abs(relaxed.DriftAfter) <= trajectory.Tolerance, relaxed.StillHeld);

        // Bad input: one clear error each, nothing trained.
        var tasks = new TaskMixture(training, evaluation, 0);
        var (c, r) = (model.Evaluate(evaluation).Classification, relaxed);
        Assert.Throws<ArgumentOutOfRangeException>("epochs", () => process.RelaxEndpoint(model, trajectory, training, evaluation, 0));
        Assert.Throws<ArgumentException>("trajectory", () => process.RelaxEndpoint(model, trajectory, tasks, tasks, 1));
        var schedule = new ProcessTrajectory([trajectory.Steps[0] with { Held = HeldQuantity.None, Target = null }]);
        Assert.Throws<ArgumentException>("trajectory", () => process.RelaxEndpoint(model, schedule, training, evaluation, 1));
        Assert.Equal(c, model.Evaluate(evaluation).Classification);
    }

    [Fact]
    public void TrainingAtAFixedCReachesItAndFindsTheGammaOfOrdinaryTraining()
    {
        var (training, evaluation) = Data(512, 6, 21);
        using var t1 = training;
        using var e1 = evaluation;
        var at = new Multipliers(2, 3);
        double c;
        using (var reference = SmallModel(6))
        {
            var ordinary = Equilibrate(reference, at, training, evaluation, maxEpochs: 150);
            Assert.True(ordinary.Converged);
            c = ordinary.Evaluation.Classification;
        }

        // Like for like: a fresh model with the same seed and learning rate, γ starting at 1 and found by the controller.
        using var model = SmallModel(6);
        var trainer = new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithConvergence(window: 3, relativeTolerance: 1e-3, maxEpochs: 150).WithTrainingDataEvaluation(false);

        var result = trainer.TrainAtFixed(model, new Multipliers(2, 1), HeldQuantity.Classification, c, training, evaluation);

        output.WriteLine($"target C {c:F4} (ordinary training at γ = 3): reached {result.Reached}, converged {result.Converged}, C {result.Evaluation.Classification:F4}, drift {result.Drift:P2}, γ found {result.Multipliers.Gamma:F3} after {result.Epochs} epochs");
        Assert.True(result.Reached);
        Assert.InRange(Math.Abs(result.Drift), 0, 0.02);
        Assert.Equal(2, result.Multipliers.Lambda);

        // The duality against ordinary training: C falls with γ, so ordinary training (fresh, same seed) at a third of
        // the γ found must end above the held C and at three times it below. C is flat in γ on this problem and its
        // equilibrium depends on the path within the budget (measured: γ = 1.7 found from an equilibrium at γ = 1,
        // 8.1 from a fresh model, for the C that ordinary training gives at γ = 3), so a 2% band on C spans a
        // factor of several in γ and a tighter bracket would test the relaxation rather than the duality.
        double gamma = result.Multipliers.Gamma;
        double below, above;
        using (var low = SmallModel(6))
        {
            above = Equilibrate(low, new Multipliers(2, gamma / 3), training, evaluation, maxEpochs: 150).Evaluation.Classification;
        }

        using (var high = SmallModel(6))
        {
            below = Equilibrate(high, new Multipliers(2, gamma * 3), training, evaluation, maxEpochs: 150).Evaluation.Classification;
        }

        output.WriteLine($"ordinary training: C = {above:F4} at γ/3, {below:F4} at 3γ (held {c:F4})");
        Assert.True(above > c && below < c, $"C {above:F4} at γ/3 and {below:F4} at 3γ do not bracket the held {c:F4}");
        Assert.Equal(result.FreeMultiplierHistory.Count, result.DriftHistory.Count);
    }

    [Fact]
    public void AnUnreachableTargetRollsBackHalvesAndStopsWithAClearResult()
    {
        using var data = TestData.Prototypes(128, 3, 5);
        using var model = SmallModel(3);
        var start = new Multipliers(2, 1);
        Equilibrate(model, start, data, data, maxEpochs: 10);
        var protocol = RampProtocol.Default with { RampEpochs = 1, MaxDwellChecks = 8, MaxHalvings = 1, Controller = ConstraintControllerOptions.Default with { MaxMultiplier = 20, MaxLogStep = 0.2 } };
        var process = new QuasiStaticProcess(Trainer(), new EncoderFluctuationEstimator()).WithProtocol(protocol).WithStopOnFailure();

        // C = 1e-4 nats: a classifier on noisy prototypes gets nowhere near it, whatever γ.
        var trajectory = process.IsoClassification(model, start, [1.5, 1.0], data, data, target: 1e-4);

        Print(trajectory);
        Assert.True(trajectory.StoppedOnFailure);
        Assert.Equal(2, trajectory.Steps.Count);
        var failed = trajectory.Final;
        Assert.False(failed.WithinTolerance);
        Assert.Equal(1, failed.Corrections); // one rollback and halving
        Assert.True(failed.Drift > process.Tolerance);
        Assert.Equal(20, failed.Gamma, 6); // pinned at the controller's bound
        // Dwell at the step, roll back, dwell at the half step (out of halvings), go on and dwell at the step again.
        Assert.Equal(3 * protocol.MaxDwellChecks, trajectory.Checks.Count(c => c.Phase == "dwell"));
    }

    [Fact]
    public void CancellationLeavesValidStepAndCheckFiles()
    {
        using var data = TestData.Prototypes(128, 3, 6);
        using var model = SmallModel(3);
        var start = new Multipliers(2, 1);
        Equilibrate(model, start, data, data, maxEpochs: 20);
        string file = PathOf("cancelled.jsonl");
        var process = new QuasiStaticProcess(Trainer(), new EncoderFluctuationEstimator()).WithProtocol(Protocol()).WithRecordFile(file);
        using var cts = new CancellationTokenSource();
        var progress = new SynchronousProgress<ProcessStep>(step =>
        {
            if (step.Index == 1)
            {
                cts.Cancel();
            }
        });

        Assert.ThrowsAny<OperationCanceledException>(() => process.IsoClassification(model, start, [1.8, 1.6, 1.4], data, data, progress: progress, cancellationToken: cts.Token));

        var loaded = ProcessTrajectory.Load(file);
        Assert.Equal([0, 1], loaded.Steps.Select(s => s.Index));
        Assert.NotEmpty(loaded.Checks);
        Assert.All(loaded.Checks, c => Assert.Equal(1, c.Step));
        Assert.False(File.Exists(file + ".tmp"));
    }

    [Fact]
    public void BadSettingsAndArgumentsAreRejectedAllAtOnce()
    {
        var process = new QuasiStaticProcess(new EquilibriumTrainer(), new EncoderFluctuationEstimator());
        var bad = RampProtocol.Default with { RampEpochs = 0, ConsecutiveChecks = 3, MaxDwellChecks = 2, Controller = ConstraintControllerOptions.Default with { IntegralGain = 2 } };
        var e = Assert.Throws<FreeEnergyConfigurationException>(() => process.WithProtocol(bad));
        Assert.Equal(3, e.Problems.Count);
        Assert.Equal(RampProtocol.Default, process.Protocol);
        Assert.Throws<ArgumentOutOfRangeException>("method", () => process.WithMethod((ProcessMethod)7));

        using var data = TestData.Prototypes(32, 3, 6);
        using var model = SmallModel(3);
        var trainer = Trainer();
        var m = new Multipliers(2, 1);
        Assert.Throws<ArgumentOutOfRangeException>("held", () => trainer.TrainAtFixed(model, m, HeldQuantity.None, 1, data, data));
        Assert.Throws<ArgumentOutOfRangeException>("target", () => trainer.TrainAtFixed(model, m, HeldQuantity.Classification, 0, data, data));
        Assert.Throws<ArgumentOutOfRangeException>("tolerance", () => trainer.TrainAtFixed(model, m, HeldQuantity.Classification, 1, data, data, tolerance: 1));
        Assert.Throws<ArgumentOutOfRangeException>("start", () => trainer.TrainAtFixed(model, default, HeldQuantity.Classification, 1, data, data));
        using var wrong = new LabeledTensorDataset(zeros(8, 1, 5, 5), zeros(8, dtype: ScalarType.Int64));
        Assert.ThrowsAny<ArgumentException>(() => trainer.TrainAtFixed(model, m, HeldQuantity.Classification, 1, wrong, data));
    }
}
