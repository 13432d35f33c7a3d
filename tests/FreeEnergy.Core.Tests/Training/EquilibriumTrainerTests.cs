using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Tests.Training;

public class EquilibriumTrainerTests
{
    private static RateDistortionModel SmallModel(long seed = 4, int samples = 2) =>
        RateDistortionModel.CreateBuilder().WithInputShape(1, 4, 4).WithClasses(3).WithMlp(16).WithLatentSize(3).WithSamples(samples).WithSeed(seed).Build();

    private static EquilibriumTrainer FastTrainer(int epochs) =>
        new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithConvergence(window: 1, relativeTolerance: 1e-9, maxEpochs: epochs);

    [Fact]
    public void TheSameSeedGivesIdenticalFunctionals()
    {
        using var data = TestData.Prototypes(200, 3, 1);
        Functionals Run()
        {
            using var model = SmallModel();
            return FastTrainer(3).Train(model, new Multipliers(1, 2), data).Evaluation;
        }

        var first = Run();
        var second = Run();
        Assert.Equal(first, second);
        using var other = SmallModel(seed: 5);
        Assert.NotEqual(first, FastTrainer(3).Train(other, new Multipliers(1, 2), data).Evaluation);
    }

    [Fact]
    public void RepeatedTrainingLeavesTheLiveTensorCountUnchanged() => AssertRepeatedTrainingKeepsTheLiveTensorCount(FastTrainer(2));

    /// <summary>Trains a small model once (lazily created state), then three more times, and checks the live-tensor count.</summary>
    internal static void AssertRepeatedTrainingKeepsTheLiveTensorCount(EquilibriumTrainer trainer)
    {
        using var data = TestData.Prototypes(128, 3, 2);
        using var model = SmallModel();
        trainer.Train(model, new Multipliers(1, 1), data); // warm-up: lazily created state
        long before = FreeEnergyRuntime.LiveTensorCount;
        for (int i = 0; i < 3; i++)
        {
            trainer.Train(model, new Multipliers(1, 1), data);
        }

        Assert.Equal(before, FreeEnergyRuntime.LiveTensorCount);
    }

    [Fact]
    public void TrainingLowersTheObjectiveAndWarmStartsFromTheCurrentWeights()
    {
        using var data = TestData.Prototypes(256, 3, 3);
        using var model = SmallModel();
        var m = new Multipliers(1, 5);
        var start = model.Evaluate(data);
        double initial = start.Objective(m);
        var first = FastTrainer(5).Train(model, m, data);
        var second = FastTrainer(1).Train(model, m, data);

        Assert.True(first.FreeEnergy < initial, $"J went from {initial} to {first.FreeEnergy}");
        Assert.True(second.ObjectiveHistory[0] < first.ObjectiveHistory[0], "a warm start begins where the last call ended");
        Assert.Equal(5, first.ObjectiveHistory.Count);
        Assert.True(first.Evaluation.Accuracy > start.Accuracy + 0.3, $"accuracy went from {start.Accuracy} to {first.Evaluation.Accuracy}");
        Assert.NotNull(first.Training);
    }

    [Fact]
    public void ConvergenceRuleStopsTrainingBeforeTheMaximum()
    {
        using var data = TestData.Prototypes(256, 3, 3);
        using var model = SmallModel();
        var result = new EquilibriumTrainer().WithAdam(3e-3).WithBatchSize(32).WithConvergence(window: 2, relativeTolerance: 0.05, maxEpochs: 100).Train(model, new Multipliers(1, 1), data);
        Assert.True(result.Converged);
        Assert.True(result.Epochs < 100);
        var rule = new ConvergenceRule(window: 2, relativeTolerance: 0.05, maxEpochs: 100);
        Assert.True(rule.IsConverged(result.ObjectiveHistory));
        Assert.False(rule.IsConverged(result.ObjectiveHistory.Take(result.ObjectiveHistory.Count - 1).ToList()));
    }

    [Fact]
    public void TheFunctionalToleranceWaitsForEveryTermToSettle()
    {
        var rule = new ConvergenceRule(window: 1, relativeTolerance: 0.01, maxEpochs: 10, functionalTolerance: 0.01);
        // J moves by 0.1% but R by 10%: the J rule alone would stop, the functional rule does not.
        Functionals F(double r, double d) => new(r, d, 0.5, 0.9, 100);
        Assert.True(rule.IsConverged([200.0, 200.2]));
        Assert.False(rule.FunctionalsSettled([F(10, 190), F(11, 189.2)]));
        Assert.True(rule.FunctionalsSettled([F(10, 190), F(10.05, 190.1)]));
        Assert.False(rule.FunctionalsSettled([F(10, 190)]));
        Assert.True(new ConvergenceRule().FunctionalsSettled([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvergenceRule(functionalTolerance: 0));

        using var data = TestData.Prototypes(128, 3, 12);
        using var loose = SmallModel();
        using var strict = SmallModel();
        var looseResult = new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithConvergence(window: 1, relativeTolerance: 0.05, maxEpochs: 30).Train(loose, new Multipliers(1, 1), data);
        var strictResult = new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithConvergence(window: 1, relativeTolerance: 0.05, maxEpochs: 30, functionalTolerance: 1e-3).Train(strict, new Multipliers(1, 1), data);
        Assert.True(strictResult.Epochs > looseResult.Epochs, $"strict {strictResult.Epochs} epochs, loose {looseResult.Epochs}");
    }

    [Fact]
    public void ANonFiniteLossStopsTrainingWithTheStepAndMultipliersAndLeavesWeightsUntouched()
    {
        using var data = TestData.Prototypes(64, 3, 4);
        using var model = SmallModel();
        using (no_grad())
        {
            model.Network.Classifier.bias![0] = float.NaN;
        }

        using var before = model.Network.Classifier.weight!.clone();
        var ex = Assert.Throws<TrainingDivergedException>(() => FastTrainer(2).Train(model, new Multipliers(2, 3), data));
        Assert.Equal(1, ex.Epoch);
        Assert.Equal(1, ex.Step);
        Assert.Equal(new Multipliers(2, 3), ex.Multipliers);
        Assert.Contains("λ = 2", ex.Message);
        Assert.Contains("γ = 3", ex.Message);
        Assert.True(model.Network.Classifier.weight!.allclose(before, 0, 0));
    }

    [Fact]
    public void ADivergenceAfterFiniteStepsPutsTheModelBackBitForBit()
    {
        // Issue 17: at a learning rate of 1e3 the first steps are finite but wreck the weights; the call must
        // leave the model exactly as it was before it (weights, buffers and the training noise).
        using var data = TestData.Prototypes(128, 3, 4);
        using var model = SmallModel();
        FastTrainer(1).Train(model, new Multipliers(1, 1), data);
        var before = model.Network.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());
        var evaluatedBefore = model.Evaluate(data);
        var ex = Assert.Throws<TrainingDivergedException>(() => FastTrainer(3).WithAdam(1e3).Train(model, new Multipliers(1, 1), data));
        Assert.True(ex.Step > 1 || ex.Epoch > 1, $"the divergence came after finite steps (epoch {ex.Epoch}, step {ex.Step})");
        Assert.Contains("put back", ex.Message);
        foreach (var (name, value) in model.Network.state_dict())
        {
            using var scope = NewDisposeScope();
            Assert.True(value.eq(before[name]).all().item<bool>(), $"{name} changed");
            before[name].Dispose();
        }

        Assert.Equal(evaluatedBefore, model.Evaluate(data));
        using var twin = SmallModel();
        FastTrainer(1).Train(twin, new Multipliers(1, 1), data);
        Assert.Equal(FastTrainer(1).Train(twin, new Multipliers(1, 1), data).Evaluation, FastTrainer(1).Train(model, new Multipliers(1, 1), data).Evaluation);
    }

    [Fact]
    public void BuildTrainDisposeCyclesKeepTheResidentMemoryFlatWithoutACollection()
    {
        // Issue 17: TorchSharp's Adam left each step's parameter-sized temporaries to the finalizer (about 17 MB
        // per cycle here, so 190 MB over these cycles); the benchmark's dispose-loop command prints the curve.
        // The bound is loose: allocator noise is a few MB.
        using var data = TestData.GaussianSource([.. Enumerable.Repeat(1.0, 784)], 256, 3);
        var trainer = new EquilibriumTrainer().WithBatchSize(64).WithFixedEpochs(1).WithTrainingDataEvaluation(false);
        void Cycle(int seed)
        {
            using var model = RateDistortionModel.CreateBuilder().WithInputShape(784).WithClasses(1).WithMlp(512, 256).WithGaussianDecoder().WithSeed(seed).Build();
            trainer.Train(model, new Multipliers(1, 0), data);
        }

        static double ResidentMegabytes() => long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize / 1e6;
        if (!File.Exists("/proc/self/statm"))
        {
            return; // the resident size is read from /proc (Linux)
        }

        Cycle(1);
        Cycle(2);
        double before = ResidentMegabytes();
        int collections = GC.CollectionCount(2);
        for (int cycle = 3; cycle < 15; cycle++)
        {
            Cycle(cycle);
        }

        double growth = ResidentMegabytes() - before;
        Assert.True(growth < 80 || GC.CollectionCount(2) > collections, $"12 build / train / Dispose cycles grew the resident memory by {growth:F0} MB");
    }

    [Fact]
    public void CancellationBetweenStepsLeavesAConsistentModel()
    {
        using var data = TestData.Prototypes(320, 3, 5);
        using var model = SmallModel();
        using var cts = new CancellationTokenSource();
        var reports = new List<TrainingProgress>();
        var progress = new SynchronousProgress<TrainingProgress>(p =>
        {
            reports.Add(p);
            if (p.Step == 3)
            {
                cts.Cancel();
            }
        });

        Assert.ThrowsAny<OperationCanceledException>(() => FastTrainer(5).WithProgressInterval(1).Train(model, new Multipliers(1, 1), data, progress: progress, cancellationToken: cts.Token));
        Assert.Equal(3, reports[^1].Step);
        var after = model.Evaluate(data);
        Assert.True(double.IsFinite(after.Objective(new Multipliers(1, 1))));
        Assert.True(FastTrainer(1).Train(model, new Multipliers(1, 1), data).Epochs == 1, "the model trains on after a cancellation");
    }

    [Fact]
    public void ProgressAndLogsCarryPlainNumbersPerEpoch()
    {
        using var data = TestData.Prototypes(100, 3, 6);
        using var model = SmallModel();
        var reports = new List<TrainingProgress>();
        var logger = new ListLogger();
        FastTrainer(2).WithLogger(logger).Train(model, new Multipliers(1, 1), data, progress: new SynchronousProgress<TrainingProgress>(reports.Add));

        Assert.Equal(2, reports.Count);
        Assert.All(reports, r => Assert.True(r.IsEndOfEpoch));
        Assert.Equal([1, 2], reports.Select(r => r.Epoch));
        Assert.All(reports, r => Assert.True(double.IsFinite(r.Objective) && double.IsFinite(r.EvaluationObjective) && r.MaxEpochs == 2 && r.StepsPerEpoch == 4));
        Assert.Equal(2, logger.Entries.Count(e => e.Level == LogLevel.Information && e.Message.StartsWith("Epoch", StringComparison.Ordinal)));
    }

    [Fact]
    public void BadTrainingInputIsRejectedBeforeAnyStep()
    {
        using var model = SmallModel();
        using var data = TestData.Prototypes(16, 3, 7);
        using var wrongShape = TestData.GaussianSource([1.0, 2.0], 16, 1);
        using var tooManyClasses = TestData.Prototypes(64, 5, 8);
        var trainer = FastTrainer(1);

        var shape = Assert.Throws<ArgumentException>(() => trainer.Train(model, new Multipliers(1, 0), wrongShape));
        Assert.Contains("[2]", shape.Message);
        Assert.Contains("[1, 4, 4]", shape.Message);
        var labels = Assert.Throws<ArgumentException>(() => trainer.Train(model, new Multipliers(1, 0), data, tooManyClasses));
        Assert.Equal("evaluation", labels.ParamName);
        Assert.Contains("3 classes", labels.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Train(model, default, data));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Multipliers(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Multipliers(-1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Multipliers(1, -0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Multipliers(double.NaN, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EquilibriumTrainer().WithAdam(learningRate: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EquilibriumTrainer().WithBatchSize(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvergenceRule(maxEpochs: 5, minEpochs: 6));
    }

    [Fact]
    public void MixturePriorAndManySamplesTrain()
    {
        using var data = TestData.Prototypes(128, 3, 9);
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 4, 4).WithClasses(3).WithMlp(16).WithLatentSize(2).WithSamples(8).WithMixturePrior(3).Build();
        var result = FastTrainer(3).Train(model, new Multipliers(1, 1), data);
        Assert.True(double.IsFinite(result.FreeEnergy));
        Assert.True(result.FreeEnergy < result.ObjectiveHistory[0] + 1e-9 || result.ObjectiveHistory.Count == 1);
    }

    [Theory]
    [InlineData(1, 28)]
    [InlineData(3, 32)]
    public void ConvolutionalModelTrainsOnImagesOfBothSizes(int channels, int side)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        using var data = new Core.Data.LabeledTensorDataset(rand([8, channels, side, side], generator: generator), randint(10, [8], generator: generator));
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(channels, side, side).WithConvolutional().WithSamples(2).Build();
        var result = new EquilibriumTrainer().WithBatchSize(4).WithConvergence(maxEpochs: 1).Train(model, new Multipliers(1, 1), data);
        Assert.Equal(1, result.Epochs);
        Assert.True(double.IsFinite(result.FreeEnergy));
    }

    [Fact]
    public void TrainingOnATaskMixtureLowersTheMixtureObjectiveAndEvaluatesAsTheWeightedSum()
    {
        using var source = TestData.Prototypes(96, 3, 10);
        using var target = TestData.Prototypes(64, 3, 11);
        using var model = SmallModel();
        var mixture = new Core.Data.TaskMixture(source, target, 0.25);
        var m = new Multipliers(1, 2);
        var before = model.Evaluate(mixture);
        var s = model.Evaluate(source);
        var t = model.Evaluate(target);
        Assert.Equal((0.75 * s.Rate) + (0.25 * t.Rate), before.Rate, 10);
        Assert.Equal((0.75 * s.Classification) + (0.25 * t.Classification), before.Classification, 10);
        Assert.Equal(160, before.Count);

        var result = FastTrainer(3).Train(model, m, mixture);

        Assert.Equal(3, result.Epochs);
        Assert.True(result.FreeEnergy < before.Objective(m), $"J went from {before.Objective(m)} to {result.FreeEnergy}");
        Assert.Equal(model.Evaluate(mixture), result.Evaluation);
    }
}
