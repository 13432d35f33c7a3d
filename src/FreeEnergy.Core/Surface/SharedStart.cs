using System.Diagnostics;
using System.Globalization;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;

namespace FreeEnergy.Core.Surface;

/// <summary>
/// One model relaxed at a chosen point, kept as a checkpoint, from which every chain of a sweep starts: pass
/// <see cref="CreateModel"/> to <see cref="SurfaceSweep"/> as its model factory.
/// </summary>
/// <remarks>
/// <para>
/// A sweep's chains start from the initial weights, so the first point of each chain gets only its own epochs
/// while the points after it inherit their predecessors'. With a constant-rate optimiser J falls slowly for
/// many epochs (the rate relaxes slowly), so the first points stop far above their minimum, and by different
/// amounts in different chains: the equilibrium certificate then finds that a neighbour's weights beat them
/// (docs/surface.md). Relaxing one model deeply at the first column's multipliers and starting every chain from
/// it costs those epochs once instead of once per chain, and gives the chains one common depth.
/// </para>
/// <para>
/// Resumable: the checkpoint and a one-line JSON record beside it (<c>&lt;checkpoint&gt;.json</c>: multipliers,
/// seed, epoch cap, epochs, functionals) are written atomically when the relaxation ends; a later call with the
/// same multipliers, seed and epoch cap loads them instead of training (<see cref="Resumed"/>). A call cancelled or
/// killed while training leaves neither, and the next call trains again. Deterministic like the trainer: the same
/// seed and thread count on the CPU give the same checkpoint, so the shards of a cluster sweep may each relax
/// their own copy, or share one relaxed before the job array is submitted.
/// </para>
/// </remarks>
public sealed class SharedStart
{
    /// <summary>Version of the JSON record beside the checkpoint.</summary>
    private const int RecordVersion = 1;

    private readonly Func<RateDistortionModel> createModel;

    private SharedStart(Func<RateDistortionModel> createModel, string checkpoint, StartRecord record, bool resumed)
    {
        this.createModel = createModel;
        Checkpoint = checkpoint;
        Multipliers = new Multipliers(record.Lambda, record.Gamma);
        Evaluation = new Functionals(record.Rate, record.Distortion, record.Classification, record.Accuracy, record.Count);
        Epochs = record.Epochs;
        Converged = record.Converged;
        Elapsed = TimeSpan.FromSeconds(record.Seconds);
        Resumed = resumed;
    }

    /// <summary>The full path of the checkpoint every chain starts from.</summary>
    public string Checkpoint { get; }

    /// <summary>The multipliers the model was relaxed at.</summary>
    public Multipliers Multipliers { get; }

    /// <summary>The functionals on the evaluation data at the end of the relaxation (nats per example).</summary>
    public Functionals Evaluation { get; }

    /// <summary>Epochs the relaxation took.</summary>
    public int Epochs { get; }

    /// <summary>Whether the trainer's convergence rule was met (false: stopped at its epoch cap).</summary>
    public bool Converged { get; }

    /// <summary>Wall-clock time of the relaxation (recorded when it ran; a resumed start keeps it).</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Whether the checkpoint was loaded from an earlier call instead of trained now.</summary>
    public bool Resumed { get; }

    /// <summary>J = R + λD + γC on the evaluation data at <see cref="Multipliers"/>, in nats per example.</summary>
    public double FreeEnergy => Evaluation.Objective(Multipliers);

    /// <summary>
    /// Relaxes a model from <paramref name="createModel"/> at <paramref name="multipliers"/> with
    /// <paramref name="trainer"/> and saves it to <paramref name="checkpoint"/>, or loads the start an earlier call
    /// saved there with the same multipliers, seed and epoch cap.
    /// </summary>
    /// <param name="createModel">Builds a fresh model with fixed initial weights: the sweep's factory.</param>
    /// <param name="trainer">The relaxation (typically the sweep's trainer with a higher epoch cap).</param>
    /// <param name="multipliers">Where to relax: typically the first λ of the sweep at a middle γ.</param>
    /// <param name="training">The training data.</param>
    /// <param name="evaluation">The evaluation data.</param>
    /// <param name="checkpoint">Where the start is kept; its folder must exist.</param>
    /// <param name="progress">Receives the trainer's progress.</param>
    /// <param name="cancellationToken">Stops between training steps; nothing is written then.</param>
    /// <returns>The start; pass its <see cref="CreateModel"/> to the sweep.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="multipliers"/> is <c>default</c> (λ = 0).</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="checkpoint"/> does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// A start kept at <paramref name="checkpoint"/> was relaxed with other multipliers, another seed, another epoch
    /// cap or a model of another structure, or its files are damaged: delete both files (or choose another path) to
    /// relax again.
    /// </exception>
    public static SharedStart Relax(
        Func<RateDistortionModel> createModel,
        EquilibriumTrainer trainer,
        Multipliers multipliers,
        LabeledTensorDataset training,
        LabeledTensorDataset evaluation,
        string checkpoint,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(createModel);
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(evaluation);
        ArgumentException.ThrowIfNullOrEmpty(checkpoint);
        Guard.Valid(multipliers);
        string full = Path.GetFullPath(checkpoint);
        string folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Cannot keep the shared start at '{checkpoint}': the folder '{folder}' does not exist. Create it first.");
        }

        string recordPath = full + ".json";
        using var model = createModel();
        long seed = model.Configuration.Seed;
        int maxEpochs = trainer.Convergence.MaxEpochs;
        if (File.Exists(full) && File.Exists(recordPath))
        {
            var kept = LoadKept(model, full, recordPath, multipliers, maxEpochs);
            return new SharedStart(createModel, full, kept, resumed: true);
        }

        var clock = Stopwatch.StartNew();
        var result = trainer.Train(model, multipliers, training, evaluation, progress, cancellationToken);
        model.Save(full);
        var e = result.Evaluation;
        var record = new StartRecord(
            "sharedStart", RecordVersion, multipliers.Lambda, multipliers.Gamma, seed, maxEpochs, result.Epochs, result.Converged,
            clock.Elapsed.TotalSeconds, e.Rate, e.Distortion, e.Classification, e.Accuracy, e.Count);
        JsonLinesFile.WriteAtomically(recordPath, [record]);
        return new SharedStart(createModel, full, record, resumed: false);
    }

    /// <summary>A fresh model from the factory with the start's weights: the model factory to give the sweep.</summary>
    /// <returns>A new model the caller owns.</returns>
    public RateDistortionModel CreateModel()
    {
        var model = createModel();
        try
        {
            model.LoadWeights(Checkpoint);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"shared start at {Multipliers}: F = {FreeEnergy:F2} after {Epochs} epochs{(Converged ? string.Empty : " (epoch cap)")}{(Resumed ? ", resumed" : string.Empty)}");

    /// <summary>
    /// Loads the start kept at <paramref name="full"/> into <paramref name="model"/> after checking that its record
    /// (<paramref name="recordPath"/>) has these multipliers, this model's seed and this epoch cap, and that the
    /// checkpoint fits the model.
    /// </summary>
    private static StartRecord LoadKept(RateDistortionModel model, string full, string recordPath, Multipliers multipliers, int maxEpochs)
    {
        var kept = ReadRecord(recordPath);
        string? mismatch = Mismatch(kept, multipliers, model.Configuration.Seed, maxEpochs);
        if (mismatch is not null)
        {
            throw new InvalidDataException($"The shared start kept at '{full}' {mismatch}; delete '{full}' and '{recordPath}' (or choose another path) to relax it again.");
        }

        try
        {
            model.LoadWeights(full); // checks the structure and the checksum before any chain starts from it
        }
        catch (InvalidOperationException misfit)
        {
            throw new InvalidDataException($"The shared start kept at '{full}' is a model of another structure ({misfit.Message}); delete '{full}' and '{recordPath}' (or choose another path) to relax it again.", misfit);
        }

        return kept;
    }

    private static StartRecord ReadRecord(string path)
    {
        try
        {
            var records = JsonLinesFile.Read<StartRecord>(path, r => r.Kind == "sharedStart" && r.Version == RecordVersion ? null : "not a shared-start record of version 1");
            return records.Count == 1 ? records[0] : throw new InvalidDataException($"'{path}' holds {records.Count} records; a shared start has one.");
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"The shared start's record is damaged: {e.Message}. Delete it and its checkpoint to relax again.", e);
        }
    }

    private static string? Mismatch(StartRecord kept, Multipliers multipliers, long seed, int maxEpochs)
    {
        var ci = CultureInfo.InvariantCulture;
        if (kept.Lambda != multipliers.Lambda || kept.Gamma != multipliers.Gamma)
        {
            return string.Create(ci, $"was relaxed at {new Multipliers(kept.Lambda, kept.Gamma)}, not at {multipliers}");
        }

        if (kept.Seed != seed)
        {
            return string.Create(ci, $"was relaxed with seed {kept.Seed}, but this model has seed {seed}");
        }

        return kept.MaxEpochs != maxEpochs
            ? string.Create(ci, $"was relaxed with an epoch cap of {kept.MaxEpochs}, but this trainer's is {maxEpochs}")
            : null;
    }

    /// <summary>The JSON record beside the checkpoint.</summary>
    private sealed record StartRecord(
        string Kind,
        int Version,
        double Lambda,
        double Gamma,
        long Seed,
        int MaxEpochs,
        int Epochs,
        bool Converged,
        double Seconds,
        double Rate,
        double Distortion,
        double Classification,
        double Accuracy,
        long Count);
}
