using System.Diagnostics;
using System.Globalization;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
using FreeEnergy.Core.Workers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FreeEnergy.Core.Surface;

/// <summary>
/// Runs a <see cref="SweepPlan"/>: trains a model to equilibrium at every point and produces an
/// <see cref="EquilibriumSurface"/>. By default each point warm-starts from the nearest finished point of its
/// chain (continuation); <see cref="WithIndependentTraining"/> starts every point from the initial weights.
/// </summary>
/// <remarks>
/// With a records file (<see cref="WithRecordFile"/>), every finished point is written at once (the whole
/// file is rewritten atomically) together with the model's checkpoint in the folder
/// <c>&lt;records file&gt;.models/</c>; running the same plan over the same file again skips finished points and
/// warm-starts from their checkpoints, so a crash or a cancellation loses at most the point in progress.
/// Each point's z-noise is seeded from the model's seed and the point's index, so a point's result depends
/// only on its starting weights: a resumed or sharded sweep reproduces an uninterrupted one exactly (same
/// seeds and thread count, on the CPU).
/// <para>
/// Chains are independent, so by default several train at once (<see cref="WithWorkers(int)"/>: one chain per
/// worker thread, one torch thread each, the machine's cores by default). The records file and the checkpoints come
/// out the same as a serial run's on one torch thread; a crash or a cancellation loses the points in progress on
/// every worker, and a resume with another number of workers finishes the same surface.
/// </para>
/// <para>
/// A point whose training diverges (<see cref="TrainingDivergedException"/>; the model is put back as it was) is
/// recorded as such (<see cref="SweepPointStatus.Diverged"/>: multipliers and the step, no functionals, no
/// checkpoint). By default the sweep then stops with that exception; with <see cref="WithContinueAfterDivergence"/>
/// it goes on, and later points warm-start from the nearest finished point of their chain (never from a diverged
/// one), or from the initial weights when the chain has none. A resume trains diverged points again, from the
/// start they had (their <see cref="SurfaceRecord.WarmStartFrom"/> or the initial weights), and replaces their record:
/// with the same settings they diverge again and the records equal an uninterrupted sweep's; after a change (a
/// smaller learning rate, say) they may finish.
/// </para>
/// </remarks>
public sealed partial class SurfaceSweep
{
    private readonly Func<RateDistortionModel> createModel;
    private readonly EquilibriumTrainer trainer;
    private readonly ILogger logger;
    private readonly WorkerPool? pool;

    /// <summary>Creates a sweep with the default settings (<see cref="SurfaceSweepOptions"/>).</summary>
    /// <param name="createModel">Builds a fresh model; it must give the same initial weights every call (a fixed seed).</param>
    /// <param name="trainer">The trainer used at every point.</param>
    public SurfaceSweep(Func<RateDistortionModel> createModel, EquilibriumTrainer trainer)
        : this(createModel, trainer, new SurfaceSweepOptions())
    {
    }

    /// <summary>Creates a sweep with <paramref name="options"/>, validated as a whole.</summary>
    /// <param name="createModel">Builds a fresh model; it must give the same initial weights every call (a fixed seed).</param>
    /// <param name="trainer">The trainer used at every point.</param>
    /// <param name="options">The settings.</param>
    /// <param name="logger">One Information message per finished point (default: none).</param>
    /// <exception cref="FreeEnergy.Core.Diagnostics.FreeEnergyConfigurationException">The settings have problems; every one is listed.</exception>
    public SurfaceSweep(Func<RateDistortionModel> createModel, EquilibriumTrainer trainer, SurfaceSweepOptions options, ILogger? logger = null)
    {
        this.createModel = createModel ?? throw new ArgumentNullException(nameof(createModel));
        this.trainer = trainer ?? throw new ArgumentNullException(nameof(trainer));
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Validate();
        this.logger = logger ?? NullLogger.Instance;
        RecordFile = options.RecordFile is null ? null : Path.GetFullPath(options.RecordFile);
        pool = options.SharedPool
            ?? (options.Workers is int w
                ? (w == 1 ? null : new WorkerPool(w))
                : WorkerPool.ForMachine() is { Workers: > 1 } machine ? machine : null);
    }

    /// <summary>The settings.</summary>
    public SurfaceSweepOptions Options { get; }

    /// <summary>Whether points warm-start from finished points of their chain (default true).</summary>
    public bool Continuation => Options.Continuation;

    /// <summary>
    /// Whether the sweep goes on after a point whose training diverged (default false: it records the point and
    /// stops with <see cref="TrainingDivergedException"/>).
    /// </summary>
    public bool ContinueAfterDivergence => Options.ContinueAfterDivergence;

    /// <summary>
    /// The number of chains trained at once (default: the machine's cores). With 1, the chains run one after another
    /// on the calling thread at its torch thread count; with more, each chain runs on a worker thread of its own with
    /// one torch thread (<see cref="WorkerPool"/>).
    /// </summary>
    public int Workers => pool?.Workers ?? 1;

    /// <summary>The JSON-lines records file (full path), or null to keep results in memory only.</summary>
    public string? RecordFile { get; }

    private int SlotPriority => Options.SlotPriority;

    /// <summary>A sweep with <paramref name="options"/> (validated as a whole), this sweep's model factory, trainer and logger; this sweep is unchanged.</summary>
    /// <exception cref="FreeEnergy.Core.Diagnostics.FreeEnergyConfigurationException">The settings have problems; every one is listed.</exception>
    public SurfaceSweep WithOptions(SurfaceSweepOptions options) => new(createModel, trainer, options, logger);

    /// <summary>A sweep that trains every point from the model's initial weights instead of warm-starting; this sweep is unchanged.</summary>
    public SurfaceSweep WithIndependentTraining() => WithOptions(Options with { Continuation = false });

    /// <summary>
    /// A sweep that goes on after a point whose training diverged instead of stopping: the point is recorded as diverged, and the
    /// next points of its chain warm-start from the nearest finished point (or the initial weights), never from it.
    /// This sweep is unchanged.
    /// </summary>
    public SurfaceSweep WithContinueAfterDivergence() => WithOptions(Options with { ContinueAfterDivergence = true });

    /// <summary>
    /// A sweep that trains up to <paramref name="workers"/> chains at once, each on a thread of its own with one torch thread
    /// (warm starts stay sequential within a chain). The records, checkpoints and numbers equal those of a serial
    /// run on one torch thread, whatever the number of workers; 1 runs the chains one after another on the calling
    /// thread. More workers than chains leave the extra ones idle. This sweep is unchanged.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="workers"/> is less than 1.</exception>
    public SurfaceSweep WithWorkers(int workers)
    {
        if (workers < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(workers), workers, "A sweep needs at least 1 worker (1 trains the chains one after another on the calling thread).");
        }

        return WithOptions(Options with { Workers = workers, SharedPool = null, SlotPriority = 0 });
    }

    /// <summary>
    /// A sweep that trains the chains in the slots of <paramref name="shared"/>, a pool other work uses as well (so that a study
    /// that runs a sweep beside other experiments keeps every core busy and none over-subscribed). Each point takes a
    /// slot at <paramref name="priority"/> (<see cref="WorkerPool.Run{T}(Func{T}, int, CancellationToken)"/>). This sweep is unchanged.
    /// </summary>
    public SurfaceSweep WithWorkers(WorkerPool shared, int priority = 0)
    {
        ArgumentNullException.ThrowIfNull(shared);
        return WithOptions(Options with { Workers = null, SharedPool = shared, SlotPriority = priority });
    }

    /// <summary>A sweep that writes a record per finished point to <paramref name="path"/> (and checkpoints beside it) and resumes from it; this sweep is unchanged.</summary>
    public SurfaceSweep WithRecordFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return WithOptions(Options with { RecordFile = Path.GetFullPath(path) });
    }

    /// <summary>A sweep with the logger set (one Information message per finished point); this sweep is unchanged.</summary>
    public SurfaceSweep WithLogger(ILogger? value) => new(createModel, trainer, Options, value);

    /// <summary>Runs the plan (or shard) and returns the surface of all its finished (and diverged) points.</summary>
    /// <param name="plan">The plan or one of its shards.</param>
    /// <param name="training">Training data.</param>
    /// <param name="evaluation">Evaluation data (the records' top-level functionals).</param>
    /// <param name="progress">Per-epoch and per-point reports.</param>
    /// <param name="cancellationToken">Stops between training steps; finished points stay recorded.</param>
    /// <exception cref="InvalidDataException">The records file is corrupt, foreign or of another plan; it is left untouched.</exception>
    /// <exception cref="TrainingDivergedException">A point's training diverged (without <see cref="WithContinueAfterDivergence"/>); it is recorded as diverged, the points before it stay recorded.</exception>
    public EquilibriumSurface Run(
        SweepPlan plan,
        LabeledTensorDataset training,
        LabeledTensorDataset evaluation,
        IProgress<SweepProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(evaluation);

        // One writer per records file (and its checkpoint folder), for the whole run: a second one fails here, having changed nothing.
        using var writerLock = RecordFile is null ? null : RecordsLock.Acquire(RecordFile);
        var finished = ReadFinished(plan);
        string directory = RecordFile is null ? System.IO.Directory.CreateTempSubdirectory("freeenergy-sweep-").FullName : Path.GetDirectoryName(RecordFile)!;
        string modelsFolder = RecordFile is null ? directory : RecordFile + ".models";
        System.IO.Directory.CreateDirectory(modelsFolder);
        var points = plan.Points;
        var state = new SweepState(finished, RecordFile, points.Count(p => finished.TryGetValue(p.Index, out var r) && !r.IsDiverged), points.Count, progress);
        var inputs = new SweepInputs(plan, training, evaluation, directory, modelsFolder);
        try
        {
            RunChains([.. points.GroupBy(p => p.Chain).Select(c => c.ToList())], state, inputs, cancellationToken);
        }
        finally
        {
            if (RecordFile is null)
            {
                System.IO.Directory.Delete(directory, recursive: true);
            }
        }

        var kept = finished.Values.Where(r => points.Any(p => p.Index == r.Index));
        return RecordFile is null
            ? new EquilibriumSurface(kept.Select(r => r with { Checkpoint = null }))
            : new EquilibriumSurface(kept, directory);
    }

    /// <summary>The records a resume starts from (checked against the plan and the model), by index; empty without a records file.</summary>
    /// <exception cref="InvalidDataException">The records file is corrupt, foreign or of another plan.</exception>
    private SortedDictionary<int, SurfaceRecord> ReadFinished(SweepPlan plan)
    {
        var finished = new SortedDictionary<int, SurfaceRecord>();
        if (RecordFile is null || !File.Exists(RecordFile))
        {
            return finished;
        }

        ModelConfiguration configuration;
        using (var probe = createModel())
        {
            configuration = probe.Configuration;
        }

        foreach (var record in ReadForResume(RecordFile, plan, configuration))
        {
            finished[record.Index] = record;
        }

        return finished;
    }

    /// <summary>Runs the chains one after another on the calling thread, or with a pool one job per chain.</summary>
    private void RunChains(List<List<PlannedPoint>> chains, SweepState state, SweepInputs inputs, CancellationToken cancellationToken)
    {
        if (pool is null)
        {
            foreach (var chain in chains)
            {
                RunChain(chain, state, inputs, null, cancellationToken);
            }

            return;
        }

        // One job per chain (warm starts stay sequential within a chain); each point computes in a slot of
        // the pool, so that between two points a shared pool's higher-priority work can take the slot.
        var shared = pool;
        pool.RunAll(
            [.. chains.Select(chain => (Action<CancellationToken>)(token => RunChain(chain, state, inputs, shared, token)))],
            threads: pool.Workers,
            cancellationToken);
    }

    /// <summary>What every chain of one <see cref="Run"/> shares: the plan, the data and where records and checkpoints go.</summary>
    private sealed record SweepInputs(SweepPlan Plan, LabeledTensorDataset Training, LabeledTensorDataset Evaluation, string Directory, string ModelsFolder);

    /// <summary>
    /// Trains the points of one chain in order, each warm-started from the nearest finished point of the chain;
    /// with a <paramref name="slots"/> pool each point takes a slot of it for its training (on the calling thread).
    /// </summary>
    private void RunChain(List<PlannedPoint> chain, SweepState state, SweepInputs inputs, WorkerPool? slots, CancellationToken cancellationToken)
    {
        using var run = new ChainRun(this, chain, state, inputs);
        foreach (var point in chain)
        {
            var done = state.Find(point.Index);
            if (done is not null && !done.IsDiverged)
            {
                continue; // a diverged point is trained again
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (slots is null)
            {
                run.TrainPoint(point, done, cancellationToken);
            }
            else
            {
                slots.Run(() => run.TrainPoint(point, done, cancellationToken), SlotPriority, cancellationToken);
            }
        }
    }

    /// <summary>
    /// The state of one chain's run: the model it trains (made once, reloaded only when a point starts from other
    /// weights) and the point whose weights it holds.
    /// </summary>
    private sealed class ChainRun(SurfaceSweep sweep, List<PlannedPoint> chain, SweepState state, SweepInputs inputs) : IDisposable
    {
        private RateDistortionModel? model;
        private int? weightsFrom; // the point whose weights the model holds; null: initial weights

        public void Dispose() => model?.Dispose();

        /// <summary>Trains <paramref name="point"/> from its starting weights and records it (finished or diverged).</summary>
        public void TrainPoint(PlannedPoint point, SurfaceRecord? done, CancellationToken cancellationToken)
        {
            int worker = WorkerPool.CurrentWorker ?? 0;
            var source = StartingPoint(point, done);
            var trained = ModelAt(source);
            var start = Stopwatch.StartNew();
            var relay = state.Progress is null ? null : new SynchronousProgress<TrainingProgress>(t => state.Report(point, t, worker));
            var template = new SurfaceRecord
            {
                Kind = SurfaceRecord.KindName,
                Plan = inputs.Plan.Fingerprint,
                Index = point.Index,
                Chain = point.Chain,
                Position = point.Position,
                Multipliers = point.Multipliers,
                Seed = trained.Configuration.Seed,
                WarmStartFrom = source?.Index,
            };
            SurfaceRecord record;
            TrainingResult result;
            try
            {
                (record, result) = sweep.Relax(trained, template, NoiseSeed(trained, point.Index, 0), inputs.Training, inputs.Evaluation, relay, cancellationToken);
            }
            catch (TrainingDivergedException diverged)
            {
                // The trainer put the model back: it still holds the weights of weightsFrom.
                RecordDiverged(point, template, diverged, start.Elapsed, worker);
                if (!sweep.ContinueAfterDivergence)
                {
                    throw;
                }

                state.Finished(point, worker);
                return;
            }

            weightsFrom = point.Index;
            RecordFinished(point, record, result, start.Elapsed, worker);
        }

        /// <summary>The finished point to warm-start from (null: the initial weights), as <see cref="Continuation"/> says.</summary>
        private SurfaceRecord? StartingPoint(PlannedPoint point, SurfaceRecord? done) =>
            !sweep.Continuation ? null
            : done is not null ? state.Read(f => SourceOfDiverged(chain, point, done, f, inputs.Directory))
            : state.Read(f => NearestFinished(chain, point, f, inputs.Directory));

        /// <summary>The chain's model holding the weights of <paramref name="source"/> (a fresh model for the initial weights).</summary>
        private RateDistortionModel ModelAt(SurfaceRecord? source)
        {
            if (model is null || (source is null && weightsFrom is not null))
            {
                model?.Dispose();
                model = sweep.createModel();
                weightsFrom = null;
            }

            if (source is not null && source.Index != weightsFrom)
            {
                model.LoadWeights(Path.Combine(inputs.Directory, source.Checkpoint!));
                weightsFrom = source.Index;
            }

            return model;
        }

        /// <summary>Records the point as diverged (no functionals, no checkpoint) and logs whether the sweep stops or goes on.</summary>
        private void RecordDiverged(PlannedPoint point, SurfaceRecord template, TrainingDivergedException diverged, TimeSpan elapsed, int worker)
        {
            state.Record(template with
            {
                Status = SweepPointStatus.Diverged,
                DivergedAt = new DivergenceStep(diverged.Epoch, diverged.Step),
                Seconds = elapsed.TotalSeconds,
            });
            Log.SweepPointDiverged(sweep.logger, point.Index, point.Multipliers.Lambda, point.Multipliers.Gamma, diverged.Epoch, diverged.Step, worker, sweep.ContinueAfterDivergence ? "goes on" : "stops");
        }

        /// <summary>Saves the point's checkpoint and records it.</summary>
        private void RecordFinished(PlannedPoint point, SurfaceRecord record, TrainingResult result, TimeSpan elapsed, int worker)
        {
            string checkpoint = Path.Combine(inputs.ModelsFolder, string.Create(CultureInfo.InvariantCulture, $"point-{point.Index:D5}.fe"));
            model!.Save(checkpoint);
            var e = result.Evaluation;
            state.Record(record with
            {
                Seconds = elapsed.TotalSeconds,
                Checkpoint = Path.GetRelativePath(inputs.Directory, checkpoint),
            });
            int completed = state.Finished(point, worker);
            Log.SweepPointFinished(sweep.logger, completed, state.Total, point.Multipliers.Lambda, point.Multipliers.Gamma, e.Rate, e.Distortion, e.Classification, result.Epochs, elapsed.TotalSeconds, worker);
        }
    }

    /// <summary>
    /// The seed of a point's training z-noise: from the model's seed and the point's index (round 0: the sweep;
    /// round k &gt; 0: the k-th repair round, so a repair does not replay the noise it already saw).
    /// </summary>
    private static ulong NoiseSeed(RateDistortionModel model, int index, int round) => model.Seeds.PointNoise(index, round);

    /// <summary>
    /// Trains <paramref name="model"/> at the template's multipliers from its current weights and fills in the
    /// functionals, their statistics (evaluation and training data, the evaluation z-noise) and the convergence
    /// window. Seconds and checkpoint are left to the caller.
    /// </summary>
    private (SurfaceRecord Record, TrainingResult Result) Relax(
        RateDistortionModel model,
        SurfaceRecord template,
        ulong noiseSeed,
        LabeledTensorDataset training,
        LabeledTensorDataset evaluation,
        IProgress<TrainingProgress>? progress,
        CancellationToken cancellationToken)
    {
        model.ReseedTrainingNoise(noiseSeed);
        var epochs = new List<TrainingProgress>();
        var relay = new SynchronousProgress<TrainingProgress>(t =>
        {
            if (t.IsEndOfEpoch)
            {
                epochs.Add(t);
            }

            progress?.Report(t);
        });
        var result = trainer.Train(model, template.Multipliers, training, evaluation, relay, cancellationToken);
        int window = Math.Max(2, trainer.Convergence.Window);
        var last = epochs.TakeLast(window).ToList();
        var record = template with
        {
            Evaluation = result.Evaluation,
            FreeEnergy = result.FreeEnergy,
            Training = result.Training,
            EvaluationStatistics = evaluation.Count >= 2 ? model.EvaluateStatistics(evaluation, trainer.EvaluationBatchSize) : null,
            TrainingStatistics = training.Count >= 2 ? model.EvaluateStatistics(training, trainer.EvaluationBatchSize) : null,
            Window = new ConvergenceWindow(
                [.. result.ObjectiveHistory.TakeLast(window)],
                [.. last.Select(t => t.Rate)],
                [.. last.Select(t => t.Distortion)],
                [.. last.Select(t => t.Classification)]),
            Epochs = result.Epochs,
            Converged = result.Converged,
        };
        return (record, result);
    }

    /// <summary>
    /// Where a diverged point trained again starts: where it started before (its <c>warmStartFrom</c>, or the initial
    /// weights), so that a resume reproduces an uninterrupted sweep; the nearest finished point if that one is gone.
    /// </summary>
    private static SurfaceRecord? SourceOfDiverged(List<PlannedPoint> chain, PlannedPoint point, SurfaceRecord diverged, SortedDictionary<int, SurfaceRecord> finished, string directory)
    {
        if (diverged.WarmStartFrom is not int from)
        {
            return null;
        }

        return finished.TryGetValue(from, out var r) && !r.IsDiverged && r.Checkpoint is not null && File.Exists(Path.Combine(directory, r.Checkpoint))
            ? r
            : NearestFinished(chain, point, finished, directory);
    }

    /// <summary>The finished (not diverged) point of the chain nearest in position (earlier wins a tie) whose checkpoint exists.</summary>
    private static SurfaceRecord? NearestFinished(List<PlannedPoint> chain, PlannedPoint point, SortedDictionary<int, SurfaceRecord> finished, string directory) =>
        chain.Where(p => p.Index != point.Index && finished.TryGetValue(p.Index, out var r) && !r.IsDiverged && r.Checkpoint is not null && File.Exists(Path.Combine(directory, r.Checkpoint)))
            .OrderBy(p => Math.Abs(p.Position - point.Position))
            .ThenBy(p => p.Position)
            .Select(p => finished[p.Index])
            .FirstOrDefault();

    /// <summary>
    /// What the chains of one run share: the finished records (and the records file they are written to), the count
    /// of finished points and the progress sink, all behind one lock, so that chains on several workers record their
    /// points one at a time and the user's progress handler is never called concurrently.
    /// </summary>
    private sealed class SweepState(SortedDictionary<int, SurfaceRecord> finished, string? recordFile, int completed, int total, IProgress<SweepProgress>? progress)
    {
        private readonly Lock gate = new();
        private readonly Stopwatch clock = Stopwatch.StartNew();

        public int Total => total;

        public IProgress<SweepProgress>? Progress => progress;

        public SurfaceRecord? Find(int index)
        {
            lock (gate)
            {
                return finished.GetValueOrDefault(index);
            }
        }

        public T Read<T>(Func<SortedDictionary<int, SurfaceRecord>, T> read)
        {
            lock (gate)
            {
                return read(finished);
            }
        }

        /// <summary>Keeps <paramref name="record"/> and rewrites the records file atomically (every finished point, by index).</summary>
        public void Record(SurfaceRecord record)
        {
            lock (gate)
            {
                finished[record.Index] = record;
                if (recordFile is not null)
                {
                    JsonLinesFile.WriteAtomically(recordFile, finished.Values);
                }
            }
        }

        /// <summary>Counts <paramref name="point"/> as done, reports it, and returns the count.</summary>
        public int Finished(PlannedPoint point, int worker)
        {
            lock (gate)
            {
                completed++;
                progress?.Report(new SweepProgress(completed, total, point, null, clock.Elapsed) { Worker = worker });
                return completed;
            }
        }

        public void Report(PlannedPoint point, TrainingProgress training, int worker)
        {
            lock (gate)
            {
                progress?.Report(new SweepProgress(completed, total, point, training, clock.Elapsed) { Worker = worker });
            }
        }
    }
}
