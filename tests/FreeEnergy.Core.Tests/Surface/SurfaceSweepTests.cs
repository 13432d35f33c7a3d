using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Identities;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Surface;
using FreeEnergy.Core.Training;
using Xunit.Abstractions;

namespace FreeEnergy.Core.Tests.Surface;

public sealed class SurfaceSweepTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fe-sweep-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string PathOf(string name) => Path.Combine(directory, name);

    internal static RateDistortionModel SmallModel() => SmallModel(seed: 4);

    internal static RateDistortionModel SmallModel(long seed) =>
        RateDistortionModel.CreateBuilder().WithInputShape(1, 4, 4).WithClasses(3).WithMlp(16).WithLatentSize(3).WithSamples(2).WithSeed(seed).Build();

    private static EquilibriumTrainer QuickTrainer() =>
        new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithConvergence(window: 1, relativeTolerance: 1e-9, maxEpochs: 2).WithTrainingDataEvaluation(false);

    private static void AssertSameResults(IReadOnlyList<SurfaceRecord> expected, IReadOnlyList<SurfaceRecord> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Index, actual[i].Index);
            Assert.Equal(expected[i].Multipliers, actual[i].Multipliers);
            Assert.Equal(expected[i].Rate, actual[i].Rate);
            Assert.Equal(expected[i].Distortion, actual[i].Distortion);
            Assert.Equal(expected[i].Classification, actual[i].Classification);
            Assert.Equal(expected[i].WarmStartFrom, actual[i].WarmStartFrom);
        }
    }

    [Fact]
    public void ShardsMergeIntoExactlyTheUnshardedSurface()
    {
        using var data = TestData.Prototypes(96, 3, 1);
        var plan = SweepPlan.Grid([2.0, 1.0], [0.0, 1.0, 3.0]);
        var whole = new SurfaceSweep(SmallModel, QuickTrainer()).WithRecordFile(PathOf("whole.jsonl")).Run(plan, data, data);
        for (int shard = 0; shard < 2; shard++)
        {
            new SurfaceSweep(SmallModel, QuickTrainer()).WithRecordFile(PathOf($"shard{shard}.jsonl")).Run(plan.Shard(shard, 2), data, data);
        }

        var merged = EquilibriumSurface.Merge(PathOf("shard0.jsonl"), PathOf("shard1.jsonl"));

        Assert.Equal(6, whole.Records.Count);
        Assert.Equal([null, 0, null, 2, null, 4], whole.Records.Select(r => r.WarmStartFrom));
        AssertSameResults(whole.Records, merged.Records);
        Assert.Equal(4, EquilibriumSurface.Load(PathOf("shard0.jsonl")).Records.Count); // chains 0 and 2
        Assert.Throws<ArgumentOutOfRangeException>(() => plan.Shard(0, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => plan.Shard(2, 2));
    }

    [Fact]
    public void ShardsKeptInDifferentFoldersMergeWithEveryModelLoadable()
    {
        using var data = TestData.Prototypes(96, 3, 1);
        var plan = SweepPlan.Grid([2.0], [0.0, 1.0]);
        for (int shard = 0; shard < 2; shard++)
        {
            Directory.CreateDirectory(PathOf($"task{shard}"));
            new SurfaceSweep(SmallModel, QuickTrainer()).WithRecordFile(PathOf($"task{shard}/shard.jsonl")).Run(plan.Shard(shard, 2), data, data);
        }

        var merged = EquilibriumSurface.Merge(PathOf("task0/shard.jsonl"), PathOf("task1/shard.jsonl"));
        Directory.CreateDirectory(PathOf("merged"));
        merged.Save(PathOf("merged/surface.jsonl"));
        var saved = EquilibriumSurface.Load(PathOf("merged/surface.jsonl"));

        Assert.Equal([0, 1], merged.Records.Select(r => r.Index));
        foreach (var surface in new[] { merged, saved })
        {
            foreach (var record in surface.Records)
            {
                // The second shard's models are in another folder than the first's: both must load.
                using var model = surface.LoadModel(record);
                Assert.Equal(record.Rate, model.Evaluate(data).Rate, 6);
            }
        }
    }

    [Fact]
    public void ResumingAfterCancellationLosesNothingFinishedAndReproducesAnUninterruptedRun()
    {
        using var data = TestData.Prototypes(96, 3, 2);
        var plan = SweepPlan.Grid([4.0, 2.0, 1.0, 0.5], [1.0]);
        var reference = new SurfaceSweep(SmallModel, QuickTrainer()).WithRecordFile(PathOf("reference.jsonl")).Run(plan, data, data);

        using var cts = new CancellationTokenSource();
        var progress = new SynchronousProgress<SweepProgress>(p =>
        {
            if (p.Point.Index == 2 && p.Training is not null)
            {
                cts.Cancel();
            }
        });
        var interrupted = new SurfaceSweep(SmallModel, QuickTrainer()).WithRecordFile(PathOf("resumed.jsonl"));
        Assert.ThrowsAny<OperationCanceledException>(() => interrupted.Run(plan, data, data, progress, cts.Token));
        Assert.Equal([0, 1], EquilibriumSurface.Load(PathOf("resumed.jsonl")).Records.Select(r => r.Index));

        var resumed = interrupted.Run(plan, data, data);

        AssertSameResults(reference.Records, resumed.Records);
        Assert.Equal(reference.Records[2].WarmStartFrom, 1);
    }

    /// <remarks>
    /// Gaussian source (a landscape with one equilibrium, so both routes must meet). Measured (seeded):
    /// largest relative difference of R 0.6% (λ = 2: 1.3688 vs 1.3772), of F below 0.05%; warm starts
    /// took 94 epochs against 170. Tolerances: R within 2%, F within 0.2% (the convergence rule stops at a
    /// relative change of J of 3e-4 over 5 epochs, and R moves more than F near the optimum).
    /// </remarks>
    [Fact]
    public void AWarmStartedSweepReachesTheFunctionalsOfIndependentTrainingInLessTime()
    {
        double[] scales = [2.0, 1.0, 0.5, 0.25];
        using var train = TestData.GaussianSource(scales, 8192, 7);
        using var evaluation = TestData.GaussianSource(scales, 8192, 8);
        RateDistortionModel Create() => RateDistortionModel.CreateBuilder().WithInputShape(4).WithClasses(1).WithMlp().WithLatentSize(4).WithSamples(4).WithGaussianDecoder(1.0).WithSeed(3).Build();
        EquilibriumTrainer Trainer() => new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(256).WithConvergence(window: 5, relativeTolerance: 3e-4, maxEpochs: 300).WithLearningRateDecay(0.3, 2).WithTrainingDataEvaluation(false);
        var plan = SweepPlan.Grid([8.0, 5.0, 3.0, 2.0], [0.0]);

        var warm = new SurfaceSweep(Create, Trainer()).Run(plan, train, evaluation);
        var independent = new SurfaceSweep(Create, Trainer()).WithIndependentTraining().Run(plan, train, evaluation);

        int warmEpochs = warm.Records.Sum(r => r.Epochs);
        int coldEpochs = independent.Records.Sum(r => r.Epochs);
        for (int i = 0; i < plan.Points.Count; i++)
        {
            var (w, c) = (warm.Records[i], independent.Records[i]);
            output.WriteLine($"λ = {w.Lambda}: warm R {w.Rate:F4} D {w.Distortion:F4} ({w.Epochs} epochs), independent R {c.Rate:F4} D {c.Distortion:F4} ({c.Epochs} epochs)");
            Assert.InRange(Math.Abs(w.Rate - c.Rate) / c.Rate, 0, 0.02);
            Assert.InRange(Math.Abs(w.FreeEnergy - c.FreeEnergy) / c.FreeEnergy, 0, 0.002);
            Assert.Null(c.WarmStartFrom);
        }

        output.WriteLine($"epochs: warm {warmEpochs}, independent {coldEpochs}");
        Assert.True(warmEpochs < coldEpochs, $"warm starts took {warmEpochs} epochs, independent training {coldEpochs}");
    }

    [Fact]
    public void TheSurfaceKeepsModelsInterpolatesAndChecksConvexity()
    {
        using var data = TestData.Prototypes(96, 3, 3);
        var plan = SweepPlan.Grid([3.0, 1.5, 0.75], [1.0]);
        var surface = new SurfaceSweep(SmallModel, QuickTrainer()).WithRecordFile(PathOf("s.jsonl")).Run(plan, data, data);

        var point = surface.Records[1];
        using (var model = surface.LoadModel(point))
        {
            var again = model.Evaluate(data);
            Assert.Equal(point.Rate, again.Rate, 6);
            Assert.Equal(point.Distortion, again.Distortion, 6);
        }

        foreach (var r in surface.Records)
        {
            Assert.Equal(r.Rate, surface.InterpolateRate(r.Distortion, 1.0), 9);
            Assert.Equal(r.FreeEnergy, r.Rate + (r.Lambda * r.Distortion) + (r.Gamma * r.Classification), 9);
        }

        Assert.Throws<ArgumentException>(() => surface.InterpolateRate(1.0, 2.0));
        var convexity = IdentityCheck.Convexity(surface.Points, tolerance: 1e6);
        Assert.Equal(6, convexity.PairCount);
        Assert.True(convexity.IsConvex);
        Assert.NotNull(surface.Find(new Multipliers(1.5, 1.0)));

        string copy = PathOf("sub/copy.jsonl");
        Directory.CreateDirectory(PathOf("sub"));
        surface.Save(copy);
        var copied = EquilibriumSurface.Load(copy);
        using var reloaded = copied.LoadModel(copied.Records[1]);
        Assert.Equal(point.Rate, reloaded.Evaluate(data).Rate, 6);
    }

    [Fact]
    public void BadPlansAndBadFilesGiveClearErrorsAndLeaveTheFileUntouched()
    {
        Assert.Throws<ArgumentException>(() => SweepPlan.Grid([], [1.0]));
        Assert.Throws<ArgumentException>(() => SweepPlan.Grid([1.0], []));
        Assert.Throws<ArgumentOutOfRangeException>(() => SweepPlan.Grid([0.0], [1.0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => SweepPlan.Grid([-1.0], [1.0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => SweepPlan.Grid([1.0], [-0.5]));
        Assert.Throws<ArgumentException>(() => SweepPlan.Grid([1.0, 1.0], [0.0]));
        Assert.Throws<ArgumentException>(() => SweepPlan.FromList([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => SweepPlan.FromList([default]));

        using var data = TestData.Prototypes(32, 3, 4);
        var plan = SweepPlan.Grid([1.0], [0.0]);
        void Check(string name, string content, string expected)
        {
            string file = PathOf(name);
            File.WriteAllText(file, content);
            var ex = Assert.Throws<InvalidDataException>(() => new SurfaceSweep(SmallModel, QuickTrainer()).WithRecordFile(file).Run(plan, data, data));
            Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
            Assert.Equal(content, File.ReadAllText(file));
        }

        Check("corrupt.jsonl", "{\"kind\":\"freeEnergy.surfacePoint\",\"lambda\":1,", "line 1");
        Check("foreign.jsonl", "{\"name\":\"something else\"}\n", "not a surface record");
        Check("version.jsonl", "{\"kind\":\"freeEnergy.surfacePoint\",\"version\":9,\"plan\":\"x\",\"lambda\":1,\"gamma\":0}\n", "version 9");
        var other = new SurfaceSweep(SmallModel, QuickTrainer()).WithRecordFile(PathOf("other.jsonl")).Run(SweepPlan.Grid([2.0], [0.0]), data, data);
        Check("another-plan.jsonl", File.ReadAllText(PathOf("other.jsonl")), "another sweep plan");
    }

    [Fact]
    public void ASecondWriterOnALockedRecordsFileFailsAtOnceAndChangesNothing()
    {
        // Issue 17: two runs on one records file used to mix their points (and race on the temporary file).
        using var data = TestData.Prototypes(32, 3, 4);
        var plan = SweepPlan.Grid([4.0, 1.0], [0.0]);
        string file = PathOf("shared.jsonl");
        string? snapshot = null;
        IOException? second = null;
        var progress = new SynchronousProgress<SweepProgress>(p =>
        {
            if (p.Point.Index == 1 && p.Training is not null && second is null)
            {
                // The first run holds the file while point 1 trains: another writer (seed 5) tries now.
                snapshot = Convert.ToBase64String(File.ReadAllBytes(file));
                var models = Directory.GetFiles(file + ".models");
                second = Assert.Throws<IOException>(() => new SurfaceSweep(() => SmallModel(seed: 5), QuickTrainer()).WithRecordFile(file).Run(plan, data, data));
                Assert.Equal(snapshot, Convert.ToBase64String(File.ReadAllBytes(file)));
                Assert.Equal(models, Directory.GetFiles(file + ".models"));
            }
        });

        new SurfaceSweep(() => SmallModel(), QuickTrainer()).WithRecordFile(file).Run(plan, data, data, progress);
        Assert.NotNull(second);
        Assert.Contains(file, second.Message, StringComparison.Ordinal);
        Assert.Contains("another run", second.Message, StringComparison.Ordinal);

        // Once the first run has finished, the file is free again.
        Assert.Equal(2, new SurfaceSweep(() => SmallModel(), QuickTrainer()).WithRecordFile(file).Run(plan, data, data).Records.Count);
    }

    [Fact]
    public void AResumeRefusesRecordsThatDoNotMatchThePlanNamingTheLine()
    {
        // Issue 17: edited multipliers, foreign indices, missing or impossible fields, another seed and a deleted
        // checkpoint were all accepted on resume.
        using var data = TestData.Prototypes(32, 3, 4);
        var plan = SweepPlan.Grid([4.0, 1.0], [0.0]);
        string good = PathOf("good.jsonl");
        new SurfaceSweep(() => SmallModel(), QuickTrainer()).WithRecordFile(good).Run(plan, data, data);
        string[] lines = File.ReadAllLines(good);

        void Refused(string name, Func<string, string> editSecondLine, string expected, long seed = 4, Action<string>? also = null, int line = 2)
        {
            string file = PathOf(name + ".jsonl");
            Directory.CreateDirectory(file + ".models");
            foreach (string checkpoint in Directory.GetFiles(good + ".models"))
            {
                File.Copy(checkpoint, Path.Combine(file + ".models", Path.GetFileName(checkpoint)), overwrite: true);
            }

            string content = lines[0].Replace("good.jsonl", name + ".jsonl", StringComparison.Ordinal) + "\n" + editSecondLine(lines[1].Replace("good.jsonl", name + ".jsonl", StringComparison.Ordinal)) + "\n";
            File.WriteAllText(file, content);
            also?.Invoke(file);
            var ex = Assert.Throws<InvalidDataException>(() => new SurfaceSweep(() => SmallModel(seed), QuickTrainer()).WithRecordFile(file).Run(plan, data, data));
            Assert.Contains($"'{file}' line {line}", ex.Message, StringComparison.Ordinal);
            Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
            Assert.Equal(content, File.ReadAllText(file));
        }

        // The first occurrence is the record's own field (the statistics nested after it have fields of the same names).
        static string Set(string line, string field, string value) =>
            new System.Text.RegularExpressions.Regex($"\"{field}\":[^,}}]+").Replace(line, $"\"{field}\":{value}", 1);

        Refused("edited-lambda", l => Set(l, "lambda", "4"), "the plan has it at λ = 1");
        Refused("foreign-index", l => Set(l, "index", "7"), "index 7 is not in the plan");
        Refused("missing-rate", l => new System.Text.RegularExpressions.Regex("\"rate\":[^,]+,").Replace(l, string.Empty, 1), "lacks the field(s) rate");
        Refused("negative-rate", l => Set(l, "rate", "-5"), "impossible values");
        Refused("other-seed", l => l, "seed 4 but this sweep's model has seed 5", seed: 5, line: 1);
        Refused("deleted-checkpoint", l => l, "is missing", also: f => File.Delete(Path.Combine(f + ".models", "point-00001.fe")));
    }

    [Fact]
    public void AResumeAcceptsARepairedPointThatWarmStartedFromAnotherChain()
    {
        // The repair loop re-relaxes a point from a neighbour in any chain (found by re-running the main job over its
        // own finished folder): such a record is valid; the same warm start without a repair is not.
        using var data = TestData.Prototypes(32, 3, 4);
        var plan = SweepPlan.Grid([4.0, 1.0], [0.0, 1.0]);
        string file = PathOf("repaired.jsonl");
        new SurfaceSweep(() => SmallModel(), QuickTrainer()).WithRecordFile(file).Run(plan, data, data);
        string[] lines = File.ReadAllLines(file);
        static string Set(string line, string field, string value) =>
            new System.Text.RegularExpressions.Regex($"\"{field}\":[^,}}]+").Replace(line, $"\"{field}\":{value}", 1);

        // Point 1 (λ = 1, γ = 0, chain 0; warm-started from point 0) as if the repair had re-relaxed it from point 3
        // (λ = 1, γ = 1, chain 1).
        Assert.Contains("\"warmStartFrom\":0", lines[1], StringComparison.Ordinal);
        string repaired = Set(Set(lines[1], "warmStartFrom", "3"), "repairs", "1");
        File.WriteAllLines(file, [lines[0], repaired, .. lines.Skip(2)]);
        var resumed = new SurfaceSweep(() => SmallModel(), QuickTrainer()).WithRecordFile(file).Run(plan, data, data);
        Assert.Equal(4, resumed.Records.Count);
        Assert.Equal(3, resumed.Records.Single(r => r.Index == 1).WarmStartFrom);
        Assert.Equal(1, resumed.Records.Single(r => r.Index == 1).Repairs);

        File.WriteAllLines(file, [lines[0], Set(repaired, "repairs", "0"), .. lines.Skip(2)]);
        var ex = Assert.Throws<InvalidDataException>(() => new SurfaceSweep(() => SmallModel(), QuickTrainer()).WithRecordFile(file).Run(plan, data, data));
        Assert.Contains("which is not another point of its chain 0", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>λ = 10³⁹ is a valid multiplier, but λ·D overflows single precision: the loss is infinite at the first step.</summary>
    private const double Diverging = 1e39;

    [Fact]
    public void ADivergedPointIsRecordedAsSuchAndTheSweepStopsThereByDefault()
    {
        // Issue 17, item 1: a diverged point is recorded as such, nothing non-finite is saved, the sweep stops by default.
        using var data = TestData.Prototypes(32, 3, 5);
        var plan = SweepPlan.Grid([2.0, Diverging, 1.0], [1.0]);
        string file = PathOf("stops.jsonl");
        var sweep = new SurfaceSweep(() => SmallModel(), QuickTrainer()).WithRecordFile(file);

        var ex = Assert.Throws<TrainingDivergedException>(() => sweep.Run(plan, data, data));

        Assert.Equal(Diverging, ex.Multipliers.Lambda);
        Assert.False(sweep.ContinueAfterDivergence);
        string[] lines = File.ReadAllLines(file);
        Assert.Equal(2, lines.Length); // point 0, then the diverged point 1; point 2 was not trained
        using (var json = System.Text.Json.JsonDocument.Parse(lines[1]))
        {
            var record = json.RootElement;
            Assert.Equal("diverged", record.GetProperty("status").GetString());
            Assert.Equal(1, record.GetProperty("index").GetInt32());
            Assert.Equal(Diverging, record.GetProperty("lambda").GetDouble());
            Assert.Equal(ex.Epoch, record.GetProperty("divergedAt").GetProperty("epoch").GetInt32());
            Assert.Equal(ex.Step, record.GetProperty("divergedAt").GetProperty("step").GetInt64());
            Assert.Equal(0, record.GetProperty("warmStartFrom").GetInt32());
            foreach (string absent in new[] { "rate", "distortion", "classification", "accuracy", "freeEnergy", "checkpoint", "evaluationStatistics", "window" })
            {
                Assert.False(record.TryGetProperty(absent, out _), $"a diverged record has '{absent}': {lines[1]}");
            }
        }

        Assert.DoesNotContain("status", lines[0], StringComparison.Ordinal); // a finished record is written as before
        Assert.DoesNotContain("NaN", File.ReadAllText(file), StringComparison.Ordinal);
        Assert.DoesNotContain("Infinity", File.ReadAllText(file), StringComparison.Ordinal);
        Assert.Equal(["point-00000.fe"], Directory.GetFiles(file + ".models").Select(Path.GetFileName));

        var loaded = EquilibriumSurface.Load(file);
        Assert.Equal([0], loaded.Records.Select(r => r.Index));
        var diverged = Assert.Single(loaded.Diverged);
        Assert.True(diverged.IsDiverged);
        Assert.Equal(new DivergenceStep(ex.Epoch, ex.Step), diverged.DivergedAt);

        // A resume trains the diverged point again (here it diverges again, at the same step, and stops again).
        var again = Assert.Throws<TrainingDivergedException>(() => sweep.Run(plan, data, data));
        Assert.Equal(ex.Step, again.Step);
        string[] after = File.ReadAllLines(file);
        Assert.Equal(lines[0], after[0]);
        Assert.Equal(Without(lines[1], "seconds"), Without(after[1], "seconds"));
    }

    [Fact]
    public void WithContinueAfterDivergenceTheSweepGoesOnFromTheLastGoodPointAndTheCertificateReportsTheDivergedPoints()
    {
        using var data = TestData.Prototypes(32, 3, 6);
        // Chain of γ = 1: the first point diverges (the next starts from the initial weights), then 2, a diverged
        // point, and 1 (which warm-starts from 2, the last good point, not from the diverged one).
        var plan = SweepPlan.Grid([Diverging, 2.0, 2 * Diverging, 1.0], [1.0]);
        string file = PathOf("goes-on.jsonl");
        var logger = new ListLogger();
        var sweep = new SurfaceSweep(() => SmallModel(), QuickTrainer()).WithRecordFile(file).WithContinueAfterDivergence().WithLogger(logger);
        var progress = new List<SweepProgress>();

        var surface = sweep.Run(plan, data, data, new SynchronousProgress<SweepProgress>(progress.Add));

        Assert.True(sweep.ContinueAfterDivergence);
        Assert.Equal([1, 3], surface.Records.Select(r => r.Index));
        Assert.Equal([0, 2], surface.Diverged.Select(r => r.Index));
        Assert.Null(surface.Records[0].WarmStartFrom); // no good point before it: the initial weights
        Assert.Equal(1, surface.Records[1].WarmStartFrom); // the last good point, never the diverged one
        Assert.Equal(1, surface.Diverged[1].WarmStartFrom);
        Assert.All(surface.Records, r => Assert.True(double.IsFinite(r.Rate) && double.IsFinite(r.Distortion) && double.IsFinite(r.Classification)));
        Assert.Equal(4, progress.Last().Completed);
        Assert.Equal(2, logger.Entries.Count(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning && e.Message.Contains("diverged at epoch", StringComparison.Ordinal)));

        var loaded = EquilibriumSurface.Load(file);
        Assert.Equal([0, 2], loaded.Diverged.Select(r => r.Index));

        // The certificate skips the diverged points and says why; the identity checks see only the finished ones.
        var certificate = loaded.Certify();
        Assert.Equal([0, 1, 2, 3], certificate.Points.Select(p => p.Index));
        foreach (int index in new[] { 0, 2 })
        {
            var verdict = certificate.Points.Single(p => p.Index == index);
            Assert.Equal(PointStatus.Invalid, verdict.Status);
            Assert.Contains("diverged at epoch", verdict.Reason, StringComparison.Ordinal);
        }

        Assert.Equal(2, loaded.Points.Count);

        // A resume trains the diverged points again, and only them (they diverge again: the same records).
        var trained = new List<int>();
        string before = Without(File.ReadAllText(file), "seconds");
        sweep.Run(plan, data, data, new SynchronousProgress<SweepProgress>(p => trained.Add(p.Point.Index)));
        Assert.Equal([0, 2], trained.Distinct());
        Assert.Equal(before, Without(File.ReadAllText(file), "seconds"));

        // Point 3 trained in memory after the divergence of point 2 (the model put back to point 1's weights) is the
        // point 3 a resume trains from point 1's checkpoint: drop its record and resume.
        string[] lines = File.ReadAllLines(file);
        File.WriteAllLines(file, lines[..3]);
        sweep.Run(plan, data, data);
        Assert.Equal(Without(lines[3], "seconds"), Without(File.ReadAllLines(file)[3], "seconds"));

        // Save and Merge keep the diverged points; the repair leaves them in the file.
        string copy = PathOf("copy.jsonl");
        loaded.Save(copy);
        Assert.Equal([0, 2], EquilibriumSurface.Load(copy).Diverged.Select(r => r.Index));
        Assert.Equal([0, 2], EquilibriumSurface.Merge(file, copy).Diverged.Select(r => r.Index));
        sweep.Repair(data, data, new RepairBudget(maxRounds: 1, maxPoints: 1));
        Assert.Equal([0, 2], EquilibriumSurface.Load(file).Diverged.Select(r => r.Index));
    }

    [Fact]
    public void AResumeRefusesABadDivergedRecordNamingTheLine()
    {
        using var data = TestData.Prototypes(32, 3, 7);
        var plan = SweepPlan.Grid([2.0, Diverging], [0.0]);
        string file = PathOf("bad-diverged.jsonl");
        var sweep = new SurfaceSweep(() => SmallModel(), QuickTrainer()).WithRecordFile(file).WithContinueAfterDivergence();
        sweep.Run(plan, data, data);
        string[] lines = File.ReadAllLines(file);

        File.WriteAllText(file, lines[0] + "\n" + lines[1].Replace("\"divergedAt\"", "\"checkpoint\":\"x.fe\",\"divergedAt\"", StringComparison.Ordinal) + "\n");
        var named = Assert.Throws<InvalidDataException>(() => sweep.Run(plan, data, data));
        Assert.Contains("line 2", named.Message, StringComparison.Ordinal);
        Assert.Contains("a diverged record names a checkpoint", named.Message, StringComparison.Ordinal);

        File.WriteAllText(file, lines[0] + "\n" + new System.Text.RegularExpressions.Regex(",\"divergedAt\":\\{[^}]*\\}").Replace(lines[1], string.Empty) + "\n");
        var missing = Assert.Throws<InvalidDataException>(() => sweep.Run(plan, data, data));
        Assert.Contains("lacks 'divergedAt'", missing.Message, StringComparison.Ordinal);
    }

    private static string Without(string jsonLines, string field) =>
        new System.Text.RegularExpressions.Regex($",?\"{field}\":[^,}}]+").Replace(jsonLines, string.Empty);
}
