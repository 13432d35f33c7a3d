using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Surface;
using FreeEnergy.Core.Training;

namespace FreeEnergy.Core.Tests.Surface;

public sealed class SharedStartTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fe-start-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static EquilibriumTrainer Trainer(int epochs) =>
        new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithFixedEpochs(epochs).WithTrainingDataEvaluation(false);

    [Fact]
    public void TheStartIsRelaxedOnceAndLoadedFromItsCheckpointAfterwards()
    {
        using var training = TestData.Prototypes(192, 3, 5);
        using var evaluation = TestData.Prototypes(96, 3, 6);
        string path = Path.Combine(directory, "start.fe");
        var at = new Multipliers(4, 1);

        var start = SharedStart.Relax(SurfaceSweepTests.SmallModel, Trainer(12), at, training, evaluation, path);
        Assert.False(start.Resumed);
        Assert.Equal(12, start.Epochs);
        Assert.Equal(at, start.Multipliers);
        Assert.True(File.Exists(path) && File.Exists(path + ".json"));
        byte[] saved = File.ReadAllBytes(path);

        // A fresh model from the start holds the relaxed weights: it evaluates to the start's functionals, and its J on
        // the training data is below that of the initial weights trained for one epoch.
        using (var model = start.CreateModel())
        using (var initial = SurfaceSweepTests.SmallModel())
        {
            Assert.Equal(start.Evaluation, model.Evaluate(evaluation));
            Trainer(1).Train(initial, at, training, evaluation);
            double relaxed = model.Evaluate(training).Objective(at), short1 = initial.Evaluate(training).Objective(at);
            Assert.True(relaxed < short1 - 1, $"J on the training data: start {relaxed}, one epoch from the initial weights {short1}");
        }

        // Called again (a resumed run): loaded, not trained; the checkpoint is untouched.
        var again = SharedStart.Relax(SurfaceSweepTests.SmallModel, Trainer(12), at, training, evaluation, path, new SynchronousProgress<TrainingProgress>(_ => Assert.Fail("the kept start was trained again")));
        Assert.True(again.Resumed);
        Assert.Equal(start.Evaluation, again.Evaluation);
        Assert.Equal(start.Epochs, again.Epochs);
        Assert.Equal(saved, File.ReadAllBytes(path));
        Assert.Contains("resumed", again.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void EveryChainOfASweepStartsFromTheSharedStart()
    {
        using var training = TestData.Prototypes(192, 3, 5);
        using var evaluation = TestData.Prototypes(96, 3, 6);
        var start = SharedStart.Relax(SurfaceSweepTests.SmallModel, Trainer(12), new Multipliers(4, 1), training, evaluation, Path.Combine(directory, "start.fe"));
        var plan = SweepPlan.Grid([4.0, 2.0], [0.0, 2.0]);

        // One epoch per point: from the start the first points keep most of its relaxation; from the initial weights they
        // cannot (J on the training data, which the training lowers).
        var shared = new SurfaceSweep(start.CreateModel, Trainer(1)).WithRecordFile(Path.Combine(directory, "shared.jsonl")).Run(plan, training, evaluation);
        var cold = new SurfaceSweep(SurfaceSweepTests.SmallModel, Trainer(1)).WithRecordFile(Path.Combine(directory, "cold.jsonl")).Run(plan, training, evaluation);
        foreach (var first in shared.Records.Where(r => r.Position == 0))
        {
            var coldFirst = cold.Records.Single(r => r.Index == first.Index);
            Assert.Null(first.WarmStartFrom);
            using var fromStart = shared.LoadModel(first);
            using var fromInitial = cold.LoadModel(coldFirst);
            double j = fromStart.Evaluate(training).Objective(first.Multipliers), jCold = fromInitial.Evaluate(training).Objective(first.Multipliers);
            Assert.True(j < jCold - 1, $"{first.Multipliers}: J from the start {j}, from the initial weights {jCold}");
        }
    }

    [Fact]
    public void AKeptStartOfOtherSettingsIsRefusedWithWhatToDo()
    {
        using var training = TestData.Prototypes(64, 3, 5);
        using var evaluation = TestData.Prototypes(32, 3, 6);
        string path = Path.Combine(directory, "start.fe");
        SharedStart.Relax(SurfaceSweepTests.SmallModel, Trainer(1), new Multipliers(4, 1), training, evaluation, path);

        var otherPoint = Assert.Throws<InvalidDataException>(() => SharedStart.Relax(SurfaceSweepTests.SmallModel, Trainer(1), new Multipliers(2, 1), training, evaluation, path));
        Assert.Contains("was relaxed at", otherPoint.Message, StringComparison.Ordinal);
        Assert.Contains("delete", otherPoint.Message, StringComparison.Ordinal);
        var otherSeed = Assert.Throws<InvalidDataException>(() => SharedStart.Relax(() => SurfaceSweepTests.SmallModel(seed: 9), Trainer(1), new Multipliers(4, 1), training, evaluation, path));
        Assert.Contains("seed 4, but this model has seed 9", otherSeed.Message, StringComparison.Ordinal);
        var otherCap = Assert.Throws<InvalidDataException>(() => SharedStart.Relax(SurfaceSweepTests.SmallModel, Trainer(2), new Multipliers(4, 1), training, evaluation, path));
        Assert.Contains("epoch cap of 1, but this trainer's is 2", otherCap.Message, StringComparison.Ordinal);

        var otherStructure = Assert.Throws<InvalidDataException>(() => SharedStart.Relax(
            () => RateDistortionModel.CreateBuilder().WithInputShape(1, 4, 4).WithClasses(3).WithMlp(8).WithLatentSize(3).WithSamples(2).WithSeed(4).Build(),
            Trainer(1), new Multipliers(4, 1), training, evaluation, path));
        Assert.Contains("another structure", otherStructure.Message, StringComparison.Ordinal);

        File.WriteAllText(path + ".json", "{ not json");
        var damaged = Assert.Throws<InvalidDataException>(() => SharedStart.Relax(SurfaceSweepTests.SmallModel, Trainer(1), new Multipliers(4, 1), training, evaluation, path));
        Assert.Contains("damaged", damaged.Message, StringComparison.Ordinal);

        Assert.Throws<DirectoryNotFoundException>(() => SharedStart.Relax(SurfaceSweepTests.SmallModel, Trainer(1), new Multipliers(4, 1), training, evaluation, Path.Combine(directory, "missing", "start.fe")));
        Assert.Throws<ArgumentNullException>(() => SharedStart.Relax(null!, Trainer(1), new Multipliers(4, 1), training, evaluation, path));
        Assert.Throws<ArgumentNullException>(() => SharedStart.Relax(SurfaceSweepTests.SmallModel, null!, new Multipliers(4, 1), training, evaluation, path));
        Assert.Throws<ArgumentException>(() => SharedStart.Relax(SurfaceSweepTests.SmallModel, Trainer(1), new Multipliers(4, 1), training, evaluation, ""));
    }

    [Fact]
    public void DefaultMultipliersAreRefusedBeforeAKeptStartIsRead()
    {
        using var training = TestData.Prototypes(64, 3, 5);
        using var evaluation = TestData.Prototypes(32, 3, 6);
        string path = Path.Combine(directory, "start.fe");
        SharedStart.Relax(SurfaceSweepTests.SmallModel, Trainer(1), new Multipliers(4, 1), training, evaluation, path);
        int built = 0;
        var invalid = Assert.Throws<ArgumentOutOfRangeException>(() => SharedStart.Relax(
            () =>
            {
                built++;
                return SurfaceSweepTests.SmallModel();
            },
            Trainer(1), default, training, evaluation, path));
        Assert.Equal("multipliers", invalid.ParamName);
        Assert.Contains("λ must be > 0", invalid.Message, StringComparison.Ordinal);
        Assert.Equal(0, built);
    }

    [Fact]
    public void ACancelledRelaxationWritesNothingAndTheNextCallTrains()
    {
        using var training = TestData.Prototypes(64, 3, 5);
        using var evaluation = TestData.Prototypes(32, 3, 6);
        string path = Path.Combine(directory, "start.fe");
        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => SharedStart.Relax(
            SurfaceSweepTests.SmallModel, Trainer(3), new Multipliers(4, 1), training, evaluation, path, new SynchronousProgress<TrainingProgress>(_ => cancel.Cancel()), cancel.Token));
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory));

        var start = SharedStart.Relax(SurfaceSweepTests.SmallModel, Trainer(3), new Multipliers(4, 1), training, evaluation, path);
        Assert.False(start.Resumed);
        Assert.Equal(3, start.Epochs);
    }
}
