using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Surface;
using FreeEnergy.Core.Training;
using FreeEnergy.Core.Workers;

namespace FreeEnergy.Core.Tests.Surface;

/// <summary>Issue 14: chains on several workers give the serial sweep's records and checkpoints, bit for bit.</summary>
public sealed class SurfaceSweepWorkersTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fe-sweep-workers-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string PathOf(string name) => Path.Combine(directory, name);

    private static EquilibriumTrainer QuickTrainer() =>
        new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithConvergence(window: 1, relativeTolerance: 1e-9, maxEpochs: 2).WithTrainingDataEvaluation(false);

    private static SurfaceSweep Sweep(string file, int workers) =>
        new SurfaceSweep(() => SurfaceSweepTests.SmallModel(), QuickTrainer()).WithRecordFile(file).WithWorkers(workers);

    /// <summary>The records file without its wall-clock fields and with the checkpoint folder's name made neutral (every other byte must match).</summary>
    private static string[] Records(string file) =>
        [.. File.ReadAllLines(file).Select(line => System.Text.RegularExpressions.Regex.Replace(line, "\"seconds\":[^,}]*", "\"seconds\":0").Replace(Path.GetFileName(file) + ".models/", "MODELS/", StringComparison.Ordinal))];

    private static Dictionary<string, string> Checkpoints(string file) =>
        Directory.GetFiles(file + ".models").ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));

    [Fact]
    public void TwoWorkersGiveTheSerialSweepsRecordsAndCheckpointsBitForBitAndReportFromEveryWorker()
    {
        using var data = TestData.Prototypes(96, 3, 11);
        var plan = SweepPlan.Grid([2.0, 1.0], [0.0, 1.0, 3.0]);
        string serial = PathOf("serial.jsonl"), parallel = PathOf("parallel.jsonl");
        Sweep(serial, 1).Run(plan, data, data);

        int inside = 0, overlapped = 0;
        var workers = new HashSet<int>();
        var progress = new SynchronousProgress<SweepProgress>(p =>
        {
            if (Interlocked.Increment(ref inside) > 1)
            {
                overlapped++;
            }

            workers.Add(p.Worker);
            Thread.Sleep(1);
            Interlocked.Decrement(ref inside);
        });
        var sweep = Sweep(parallel, 2);
        Assert.Equal(2, sweep.Workers);
        var surface = sweep.Run(plan, data, data, progress);

        Assert.Equal(6, surface.Records.Count);
        Assert.Equal(Records(serial), Records(parallel));
        Assert.Equal(Checkpoints(serial), Checkpoints(parallel));
        Assert.Equal([0, 1], workers.Order());
        Assert.Equal(0, overlapped); // the progress handler is never called from two workers at once
    }

    [Fact]
    public void CancellingMidSweepKeepsEveryFinishedPointAndAResumeWithAnotherWorkerCountFinishesTheSameSurface()
    {
        using var data = TestData.Prototypes(96, 3, 12);
        var plan = SweepPlan.Grid([4.0, 2.0, 1.0], [0.0, 1.0, 3.0]);
        string reference = PathOf("reference.jsonl"), file = PathOf("interrupted.jsonl");
        Sweep(reference, 1).Run(plan, data, data);

        using var cts = new CancellationTokenSource();
        var progress = new SynchronousProgress<SweepProgress>(p =>
        {
            if (p.Training is null && p.Completed >= 3)
            {
                cts.Cancel();
            }
        });
        Assert.ThrowsAny<OperationCanceledException>(() => { Sweep(file, 2).Run(plan, data, data, progress, cts.Token); });
        var kept = EquilibriumSurface.Load(file).Records;
        Assert.InRange(kept.Count, 3, 8);
        var expected = EquilibriumSurface.Load(reference).Records.ToDictionary(r => r.Index);
        foreach (var r in kept)
        {
            // Every point on disk is finished and final: the same numbers as the uninterrupted run's.
            Assert.Equal(expected[r.Index].Rate, r.Rate);
            Assert.Equal(expected[r.Index].Classification, r.Classification);
            Assert.True(File.Exists(Path.Combine(directory, r.Checkpoint!)));
        }

        Sweep(file, 3).Run(plan, data, data);
        Assert.Equal(Records(reference), Records(file));
        Assert.Equal(Checkpoints(reference), Checkpoints(file));
    }

    [Fact]
    public void MoreWorkersThanChainsLeaveTheExtraOnesIdleAndASharedPoolServesTheSweep()
    {
        using var data = TestData.Prototypes(64, 3, 13);
        var plan = SweepPlan.Grid([2.0, 1.0], [0.0, 1.0]);
        string serial = PathOf("serial.jsonl"), wide = PathOf("wide.jsonl"), shared = PathOf("shared.jsonl");
        Sweep(serial, 1).Run(plan, data, data);
        Sweep(wide, 8).Run(plan, data, data);
        var pool = new WorkerPool(2);
        new SurfaceSweep(() => SurfaceSweepTests.SmallModel(), QuickTrainer()).WithRecordFile(shared).WithWorkers(pool).Run(plan, data, data);

        Assert.Equal(Records(serial), Records(wide));
        Assert.Equal(Records(serial), Records(shared));
        Assert.Equal(0, pool.Busy);
    }

    [Fact]
    public void BadWorkerCountsAreRejectedAndASecondSweepOnTheSameFileFailsWithoutCorruptingIt()
    {
        var sweep = new SurfaceSweep(() => SurfaceSweepTests.SmallModel(), QuickTrainer());
        Assert.Equal("workers", Assert.Throws<ArgumentOutOfRangeException>(() => sweep.WithWorkers(0)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => sweep.WithWorkers(-2));
        Assert.Throws<ArgumentNullException>(() => sweep.WithWorkers(null!));
        Assert.Equal(1, sweep.WithWorkers(1).Workers);

        using var data = TestData.Prototypes(64, 3, 14);
        var plan = SweepPlan.Grid([2.0, 1.0], [0.0, 1.0]);
        string file = PathOf("contended.jsonl"), reference = PathOf("reference.jsonl");
        Sweep(reference, 1).Run(plan, data, data);
        using var started = new ManualResetEventSlim();
        Exception? secondError = null;
        var first = new Thread(() => Sweep(file, 2).Run(plan, data, data, new SynchronousProgress<SweepProgress>(_ => started.Set())));
        first.Start();
        started.Wait();
        try
        {
            Sweep(file, 2).Run(plan, data, data);
        }
        catch (IOException e)
        {
            secondError = e;
        }

        first.Join();
        Assert.NotNull(secondError);
        Assert.Contains("another run", secondError.Message, StringComparison.Ordinal);
        Assert.Equal(Records(reference), Records(file)); // the first run's file is whole and right
    }
}
