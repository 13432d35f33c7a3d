using System.Text.Json.Serialization;
using FreeEnergy.Core.Identities;
using FreeEnergy.Core.Models;

namespace FreeEnergy.Core.Surface;

/// <summary>
/// One finished point of a sweep, as stored on one line of a surface's JSON-lines file (camelCase
/// fields). The top-level functionals are measured on the evaluation data, in nats per example. A point whose
/// training diverged is recorded too, with <see cref="Status"/> <see cref="SweepPointStatus.Diverged"/>: its
/// multipliers, seed, warm start and <see cref="DivergedAt"/>, and no functionals or checkpoint (the file holds
/// no non-finite number).
/// </summary>
public sealed record SurfaceRecord
{
    /// <summary>The value of <see cref="Kind"/> on every surface record.</summary>
    public const string KindName = "freeEnergy.surfacePoint";

    /// <summary>
    /// The newest record version this library writes and reads. Version 2 adds <see cref="EvaluationStatistics"/>,
    /// <see cref="TrainingStatistics"/>, <see cref="Window"/> and <see cref="Repairs"/> (all optional: version 1
    /// records read as before, without uncertainties). Version 3 adds <see cref="Status"/> and <see cref="DivergedAt"/>
    /// (a record without them is a finished point).
    /// </summary>
    public const int CurrentVersion = 3;

    /// <summary>Marks the line as a surface record: <see cref="KindName"/> on every record this library writes.</summary>
    public string Kind { get; init; } = string.Empty;

    /// <summary>The record format version.</summary>
    public int Version { get; init; } = CurrentVersion;

    /// <summary>The fingerprint of the sweep plan the point belongs to (<see cref="SweepPlan.Fingerprint"/>).</summary>
    public string Plan { get; init; } = string.Empty;

    /// <summary>The point's index in the full plan.</summary>
    public int Index { get; init; }

    /// <summary>The chain of the plan the point belongs to.</summary>
    public int Chain { get; init; }

    /// <summary>The point's position in its chain.</summary>
    public int Position { get; init; }

    /// <summary>λ, the file's field (in code, <see cref="Multipliers"/>).</summary>
    public double Lambda { get; init; }

    /// <summary>γ, the file's field (in code, <see cref="Multipliers"/>).</summary>
    public double Gamma { get; init; }

    /// <summary>R on the evaluation data, the file's field (in code, <see cref="Evaluation"/>).</summary>
    public double Rate { get; init; }

    /// <summary>D on the evaluation data.</summary>
    public double Distortion { get; init; }

    /// <summary>C on the evaluation data.</summary>
    public double Classification { get; init; }

    /// <summary>Accuracy on the evaluation data.</summary>
    public double Accuracy { get; init; }

    /// <summary>F = R + λD + γC on the evaluation data.</summary>
    public double FreeEnergy { get; init; }

    /// <summary>The functionals on the training data (null when not measured).</summary>
    public Functionals? Training { get; init; }

    /// <summary>
    /// The evaluation-data functionals with the covariance of the per-example terms (same z-noise as the
    /// top-level functionals, so the same means), for standard errors; null in version 1 records.
    /// </summary>
    public FunctionalStatistics? EvaluationStatistics { get; init; }

    /// <summary>
    /// The training-data functionals with their covariance, measured after training with the evaluation
    /// z-noise (common random numbers across points); null in version 1 records.
    /// </summary>
    public FunctionalStatistics? TrainingStatistics { get; init; }

    /// <summary>The last epochs of the training, for the drift over the convergence window; null in version 1 records.</summary>
    public ConvergenceWindow? Window { get; init; }

    /// <summary>How many times a repair (<see cref="SurfaceSweep.Repair"/>) replaced this point's result.</summary>
    public int Repairs { get; init; }

    /// <summary>Epochs trained for this point (including accepted repairs).</summary>
    public int Epochs { get; init; }

    /// <summary>Whether the trainer's convergence rule was met.</summary>
    public bool Converged { get; init; }

    /// <summary>Wall-clock seconds spent training and evaluating this point.</summary>
    public double Seconds { get; init; }

    /// <summary>The model's seed.</summary>
    public long Seed { get; init; }

    /// <summary>The index of the point whose weights this point started from, or null when it started from the initial weights.</summary>
    public int? WarmStartFrom { get; init; }

    /// <summary>The file of the model at this point, relative to the records file's folder (null when not kept, and for a diverged point).</summary>
    public string? Checkpoint { get; init; }

    /// <summary>
    /// How the point ended: <see cref="SweepPointStatus.Finished"/> (written as no <c>status</c> field) or
    /// <see cref="SweepPointStatus.Diverged"/> (<c>"status": "diverged"</c>, with <see cref="DivergedAt"/> and without the
    /// functionals, <see cref="Epochs"/>, <see cref="Converged"/> and the checkpoint; their properties read 0, false and null).
    /// </summary>
    public SweepPointStatus Status { get; init; }

    /// <summary>The epoch and step at which the training diverged; null for a finished point.</summary>
    public DivergenceStep? DivergedAt { get; init; }

    /// <summary>Whether the point's training diverged (<see cref="Status"/> is <see cref="SweepPointStatus.Diverged"/>).</summary>
    [JsonIgnore]
    public bool IsDiverged => Status == SweepPointStatus.Diverged;

    /// <summary>
    /// λ and γ, the way code builds and reads a record (<c>Multipliers = point.Multipliers</c>); the file stores them
    /// as the fields <see cref="Lambda"/> and <see cref="Gamma"/>, which setting this writes.
    /// </summary>
    [JsonIgnore]
    public Multipliers Multipliers
    {
        get => new(Lambda, Gamma);
        init => (Lambda, Gamma) = (value.Lambda, value.Gamma);
    }

    /// <summary>
    /// The evaluation functionals, the way code builds and reads a record (<c>Evaluation = result.Evaluation</c>); the
    /// file stores R, D, C and the accuracy as the fields <see cref="Rate"/>, <see cref="Distortion"/>,
    /// <see cref="Classification"/> and <see cref="Accuracy"/>, which setting this writes. The count is not stored:
    /// it reads 0.
    /// </summary>
    [JsonIgnore]
    public Functionals Evaluation
    {
        get => new(Rate, Distortion, Classification, Accuracy, 0);
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            (Rate, Distortion, Classification, Accuracy) = (value.Rate, value.Distortion, value.Classification, value.Accuracy);
        }
    }

    /// <summary>
    /// The point as the certificate sees it on <paramref name="data"/>. For training data the functionals are
    /// <see cref="TrainingStatistics"/>, else <see cref="Training"/> (no standard errors); a record with neither
    /// gives an invalid point.
    /// </summary>
    public CertificatePoint ToCertificatePoint(CertificateData data)
    {
        if (IsDiverged)
        {
            return new CertificatePoint(Index, Lambda, Gamma, double.NaN, double.NaN, double.NaN) { Problem = DivergedProblem };
        }

        if (data == CertificateData.Evaluation)
        {
            return new CertificatePoint(Index, Lambda, Gamma, Rate, Distortion, Classification) { Statistics = EvaluationStatistics, Window = Window };
        }

        var f = TrainingStatistics?.Functionals ?? Training;
        return f is null
            ? new CertificatePoint(Index, Lambda, Gamma, double.NaN, double.NaN, double.NaN) { Problem = "no training-data functionals in the record" }
            : new CertificatePoint(Index, Lambda, Gamma, f.Rate, f.Distortion, f.Classification) { Statistics = TrainingStatistics, Window = Window };
    }

    /// <summary>Why a diverged point is left out of the certificate.</summary>
    [JsonIgnore]
    internal string DivergedProblem => DivergedAt is { } at
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the training diverged at epoch {at.Epoch}, step {at.Step}: no functionals")
        : "the training diverged: no functionals";

    /// <summary>The point for <see cref="IdentityCheck"/>: its multipliers and evaluation functionals.</summary>
    public SurfacePoint ToSurfacePoint() => new(Multipliers, Evaluation);
}
