using System.Diagnostics;
using System.Globalization;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
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
/// </remarks>
public sealed class SurfaceSweep
{
    private readonly Func<RateDistortionModel> createModel;
    private readonly EquilibriumTrainer trainer;
    private ILogger logger = NullLogger.Instance;

    /// <summary>Creates a sweep.</summary>
    /// <param name="createModel">Builds a fresh model; it must give the same initial weights every call (a fixed seed).</param>
    /// <param name="trainer">The trainer used at every point.</param>
    public SurfaceSweep(Func<RateDistortionModel> createModel, EquilibriumTrainer trainer)
    {
        this.createModel = createModel ?? throw new ArgumentNullException(nameof(createModel));
        this.trainer = trainer ?? throw new ArgumentNullException(nameof(trainer));
    }

    /// <summary>Whether points warm-start from finished points of their chain (default true).</summary>
    public bool Continuation { get; private set; } = true;

    /// <summary>The JSON-lines records file, or null to keep results in memory only.</summary>
    public string? RecordFile { get; private set; }

    /// <summary>Trains every point from the model's initial weights instead of warm-starting.</summary>
    public SurfaceSweep WithIndependentTraining()
    {
        Continuation = false;
        return this;
    }

    /// <summary>Writes a record per finished point to <paramref name="path"/> (and checkpoints beside it); resumes from it.</summary>
    public SurfaceSweep WithRecordFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        RecordFile = Path.GetFullPath(path);
        return this;
    }

    /// <summary>Sets the logger (one Information message per finished point).</summary>
    public SurfaceSweep WithLogger(ILogger? value)
    {
        logger = value ?? NullLogger.Instance;
        return this;
    }

    /// <summary>Runs the plan (or shard) and returns the surface of all its finished points.</summary>
    /// <param name="plan">The plan or one of its shards.</param>
    /// <param name="training">Training data.</param>
    /// <param name="evaluation">Evaluation data (the records' top-level functionals).</param>
    /// <param name="progress">Per-epoch and per-point reports.</param>
    /// <param name="cancellationToken">Stops between training steps; finished points stay recorded.</param>
    /// <exception cref="InvalidDataException">The records file is corrupt, foreign or of another plan; it is left untouched.</exception>
    public EquilibriumSurface Run(
        SweepPlan plan,
        LabelledTensorDataset training,
        LabelledTensorDataset evaluation,
        IProgress<SweepProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(evaluation);
        var finished = new SortedDictionary<int, SurfaceRecord>();
        if (RecordFile is not null && File.Exists(RecordFile))
        {
            var existing = EquilibriumSurface.Load(RecordFile);
            var foreign = existing.Records.FirstOrDefault(r => r.Plan != plan.Fingerprint);
            if (foreign is not null)
            {
                throw new InvalidDataException($"'{RecordFile}' holds points of another sweep plan ({foreign.Plan}, this plan is {plan.Fingerprint}); use another file.");
            }

            foreach (var record in existing.Records)
            {
                finished[record.Index] = record;
            }
        }

        string directory = RecordFile is null ? System.IO.Directory.CreateTempSubdirectory("freeenergy-sweep-").FullName : Path.GetDirectoryName(RecordFile)!;
        string modelsFolder = RecordFile is null ? directory : RecordFile + ".models";
        System.IO.Directory.CreateDirectory(modelsFolder);
        var points = plan.Points;
        int completed = points.Count(p => finished.ContainsKey(p.Index));
        var clock = Stopwatch.StartNew();
        try
        {
            foreach (var chain in points.GroupBy(p => p.Chain))
            {
                RunChain([.. chain], finished, directory, modelsFolder, plan, training, evaluation, ref completed, points.Count, clock, progress, cancellationToken);
            }
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

    private void RunChain(
        List<PlannedPoint> chain,
        SortedDictionary<int, SurfaceRecord> finished,
        string directory,
        string modelsFolder,
        SweepPlan plan,
        LabelledTensorDataset training,
        LabelledTensorDataset evaluation,
        ref int completed,
        int total,
        Stopwatch clock,
        IProgress<SweepProgress>? progress,
        CancellationToken cancellationToken)
    {
        RateDistortionModel? model = null;
        int? weightsFrom = null; // the point whose weights the model holds; null: initial weights
        try
        {
            foreach (var point in chain)
            {
                if (finished.ContainsKey(point.Index))
                {
                    continue;
                }

                cancellationToken.ThrowIfCancellationRequested();
                var source = Continuation ? NearestFinished(chain, point, finished, directory) : null;
                if (model is null || (source is null && weightsFrom is not null))
                {
                    model?.Dispose();
                    model = createModel();
                    weightsFrom = null;
                }

                if (source is not null && source.Index != weightsFrom)
                {
                    model.LoadWeights(Path.Combine(directory, source.Checkpoint!));
                    weightsFrom = source.Index;
                }

                var start = Stopwatch.StartNew();
                model.ReseedTrainingNoise(unchecked((ulong)model.Configuration.Seed * 1_000_003UL) + (ulong)point.Index);
                int done = completed;
                var relay = progress is null ? null : new RelayProgress(t => progress.Report(new SweepProgress(done, total, point, t, clock.Elapsed)));
                var result = trainer.Train(model, point.Multipliers, training, evaluation, relay, cancellationToken);
                weightsFrom = point.Index;
                string checkpoint = Path.Combine(modelsFolder, string.Create(CultureInfo.InvariantCulture, $"point-{point.Index:D5}.fe"));
                model.Save(checkpoint);
                var e = result.Evaluation;
                finished[point.Index] = new SurfaceRecord
                {
                    Kind = SurfaceRecord.KindName,
                    Plan = plan.Fingerprint,
                    Index = point.Index,
                    Chain = point.Chain,
                    Position = point.Position,
                    Lambda = point.Multipliers.Lambda,
                    Gamma = point.Multipliers.Gamma,
                    Rate = e.Rate,
                    Distortion = e.Distortion,
                    Classification = e.Classification,
                    Accuracy = e.Accuracy,
                    FreeEnergy = result.FreeEnergy,
                    Training = result.Training,
                    Epochs = result.Epochs,
                    Converged = result.Converged,
                    Seconds = start.Elapsed.TotalSeconds,
                    Seed = model.Configuration.Seed,
                    WarmStartFrom = source?.Index,
                    Checkpoint = Path.GetRelativePath(directory, checkpoint),
                };
                if (RecordFile is not null)
                {
                    JsonLinesFile.WriteAtomically(RecordFile, finished.Values);
                }

                completed++;
                Log.SweepPointFinished(logger, completed, total, point.Multipliers.Lambda, point.Multipliers.Gamma, e.Rate, e.Distortion, e.Classification, result.Epochs, start.Elapsed.TotalSeconds);
                progress?.Report(new SweepProgress(completed, total, point, null, clock.Elapsed));
            }
        }
        finally
        {
            model?.Dispose();
        }
    }

    /// <summary>The finished point of the chain nearest in position (earlier wins a tie) whose checkpoint exists.</summary>
    private static SurfaceRecord? NearestFinished(List<PlannedPoint> chain, PlannedPoint point, SortedDictionary<int, SurfaceRecord> finished, string directory) =>
        chain.Where(p => p.Index != point.Index && finished.TryGetValue(p.Index, out var r) && r.Checkpoint is not null && File.Exists(Path.Combine(directory, r.Checkpoint)))
            .OrderBy(p => Math.Abs(p.Position - point.Position))
            .ThenBy(p => p.Position)
            .Select(p => finished[p.Index])
            .FirstOrDefault();

    private sealed class RelayProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
