using System.Globalization;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Derivatives;
using FreeEnergy.Core.Identities;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using MathNet.Numerics.Interpolation;

namespace FreeEnergy.Core.Surface;

/// <summary>
/// A set of equilibrium points (λ, γ, R, D, C, accuracy, F, training cost) produced by a
/// <see cref="SurfaceSweep"/>, read from or written to a JSON-lines file (one <see cref="SurfaceRecord"/>
/// per line). It checks the thermodynamic identities over its points, interpolates R(D) along each γ,
/// and answers derivative queries through an <see cref="IDerivativeEstimator"/> on the saved models.
/// </summary>
public sealed class EquilibriumSurface
{
    /// <summary>Creates a surface from records (sorted by plan index); diverged records go to <see cref="Diverged"/>.</summary>
    /// <param name="records">The records; all of one plan, each index at most once.</param>
    /// <param name="directory">The folder checkpoint paths are relative to, or null.</param>
    public EquilibriumSurface(IEnumerable<SurfaceRecord> records, string? directory = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        var list = records.OrderBy(r => r.Index).ToList();
        string? problem = Consistency(list);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(records));
        }

        Records = [.. list.Where(r => !r.IsDiverged)];
        Diverged = [.. list.Where(r => r.IsDiverged)];
        Directory = directory;
    }

    /// <summary>The finished points, by plan index (diverged points are in <see cref="Diverged"/>, never here).</summary>
    public IReadOnlyList<SurfaceRecord> Records { get; }

    /// <summary>
    /// The points whose training diverged (<see cref="SweepPointStatus.Diverged"/>), by plan index: no functionals, no
    /// model. The identity checks, interpolation and derivatives skip them; the certificates list them as
    /// <see cref="PointStatus.Invalid"/> with the epoch and step of the divergence.
    /// </summary>
    public IReadOnlyList<SurfaceRecord> Diverged { get; }

    /// <summary>The folder checkpoint paths are relative to (the records file's folder), or null.</summary>
    public string? Directory { get; }

    /// <summary>The points as plain numbers for <see cref="IdentityCheck"/>.</summary>
    public IReadOnlyList<SurfacePoint> Points => [.. Records.Select(r => r.ToSurfacePoint())];

    /// <summary>
    /// Reads a surface's JSON-lines file. Every line must be a <see cref="SurfaceRecord"/> of this
    /// library (kind and version checked), all of one plan, each index once. Diverged points are read into
    /// <see cref="Diverged"/>, not <see cref="Records"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is corrupt or foreign; the message names the line. The file is not modified.</exception>
    public static EquilibriumSurface Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var records = JsonLinesFile.Read<SurfaceRecord>(path, Validate);
        string? problem = Consistency(records);
        if (problem is not null)
        {
            throw new InvalidDataException($"'{path}': {problem}");
        }

        return new EquilibriumSurface(records, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <summary>
    /// Merges the surfaces of the shards of one plan. Points present in several parts must agree exactly. The merged
    /// surface's <see cref="Directory"/> is the first part's folder; every checkpoint path is rewritten relative to it,
    /// so the models of shards kept in different folders stay loadable (and <see cref="Save"/> rewrites them again
    /// for the file it writes).
    /// </summary>
    /// <exception cref="InvalidDataException">The parts come from different plans or disagree on a point.</exception>
    public static EquilibriumSurface Merge(IEnumerable<EquilibriumSurface> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var all = parts.ToList();
        if (all.Count == 0)
        {
            throw new ArgumentException("Nothing to merge.", nameof(parts));
        }

        // Different plans first: their points share indices, and "different results" would hide the cause.
        var plans = all.SelectMany(p => p.Records).Select(r => r.Plan).Distinct().ToList();
        if (plans.Count > 1)
        {
            throw new InvalidDataException($"The parts come from {plans.Count} different sweep plans ({string.Join(", ", plans)}); merge only the shards of one plan.");
        }

        string? directory = all.Select(p => p.Directory).FirstOrDefault(d => d is not null);
        var byIndex = new Dictionary<int, SurfaceRecord>();
        foreach (var record in all.SelectMany(p => p.Records.Concat(p.Diverged).Select(r => Rebase(r, p.Directory, directory))))
        {
            if (byIndex.TryGetValue(record.Index, out var existing) && !SameResult(existing, record))
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"Point {record.Index} ({record.Multipliers}) is in two parts with different results."));
            }

            byIndex[record.Index] = record;
        }

        string? problem = Consistency([.. byIndex.Values]);
        if (problem is not null)
        {
            throw new InvalidDataException(problem);
        }

        return new EquilibriumSurface(byIndex.Values, directory);
    }

    /// <summary>Reads and merges the records files of the shards of one plan.</summary>
    public static EquilibriumSurface Merge(params string[] paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return Merge(paths.Select(Load));
    }

    /// <summary>
    /// Writes the surface (its finished and its diverged points) to <paramref name="path"/> atomically (temporary
    /// file, then move). Checkpoint paths are rewritten relative to the new file's folder.
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string target = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var records = Records.Concat(Diverged).OrderBy(r => r.Index).Select(r => Rebase(r, Directory, target));
        JsonLinesFile.WriteAtomically(path, records);
    }

    /// <summary>The record at exactly these multipliers, or null.</summary>
    public SurfaceRecord? Find(Multipliers multipliers) => Records.FirstOrDefault(r => r.Lambda == multipliers.Lambda && r.Gamma == multipliers.Gamma);

    /// <summary>Whether every record has training-data functionals (so <see cref="CertificateData.Training"/> can be certified).</summary>
    public bool HasTrainingData => Records.Count > 0 && Records.All(r => r.TrainingStatistics is not null || r.Training is not null);

    /// <summary>
    /// The equilibrium certificate of the surface on <paramref name="data"/> (see <see cref="IdentityCheck.Certify"/>):
    /// which points are not at equilibrium and by how much, against the standard errors and drifts the records
    /// hold (version 1 records have none: their violations are judged against the rounding tolerance only).
    /// A surface of one point gives <see cref="CertificateOutcome.NotApplicable"/>.
    /// </summary>
    /// <param name="data">Evaluation (default) or training functionals.</param>
    /// <param name="options">The significance rule, or null for the defaults.</param>
    public EquilibriumCertificate Certify(CertificateData data = CertificateData.Evaluation, CertificateOptions? options = null) =>
        IdentityCheck.Certify([.. Records.Concat(Diverged).OrderBy(r => r.Index).Select(r => r.ToCertificatePoint(data))], data, options);

    /// <summary>
    /// The certificate with paired standard errors: every point's saved model is evaluated on
    /// <paramref name="pairedData"/> with the default evaluation z-noise (the same for every point: common random
    /// numbers), and each inequality's standard error is that of the per-example difference of its two sides,
    /// much smaller than the unpaired one because the examples' difficulty cancels. <paramref name="pairedData"/>
    /// must be the data the records' <paramref name="data"/> functionals were measured on (the sweep's training
    /// or evaluation set). Points without a checkpoint fall back to the records' unpaired statistics.
    /// </summary>
    /// <param name="data">Which functionals of the records are checked.</param>
    /// <param name="pairedData">The dataset those functionals were measured on.</param>
    /// <param name="options">The significance rule, or null for the defaults.</param>
    /// <param name="batchSize">Examples per forward pass (the trainer's evaluation batch size, default 1000, gives the records' noise).</param>
    public EquilibriumCertificate Certify(CertificateData data, LabeledTensorDataset pairedData, CertificateOptions? options = null, int batchSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(pairedData);
        var points = new List<CertificatePoint>();
        foreach (var record in Records.Concat(Diverged).OrderBy(r => r.Index))
        {
            var point = record.ToCertificatePoint(data);
            if (record.Checkpoint is not null && Directory is not null && point.IsValid && pairedData.Count >= 2)
            {
                using var model = LoadModel(record);
                var (r, d, c) = model.EvaluateTerms(pairedData, batchSize);
                point = point with { Terms = new PerExampleTerms(r, d, c) };
            }

            points.Add(point);
        }

        return IdentityCheck.Certify(points, data, options);
    }

    /// <summary>
    /// <see cref="Certify(CertificateData, LabeledTensorDataset, CertificateOptions?, int)"/> on the evaluation data
    /// and, when every record has training functionals, on the training data.
    /// </summary>
    public IReadOnlyList<EquilibriumCertificate> CertifyAll(LabeledTensorDataset training, LabeledTensorDataset evaluation, CertificateOptions? options = null) =>
        HasTrainingData
            ? [Certify(CertificateData.Evaluation, evaluation, options), Certify(CertificateData.Training, training, options)]
            : [Certify(CertificateData.Evaluation, evaluation, options)];

    /// <summary>The certificates on the evaluation data and, when every record has them, on the training data.</summary>
    /// <param name="options">The significance rule, or null for the defaults.</param>
    public IReadOnlyList<EquilibriumCertificate> CertifyAll(CertificateOptions? options = null) =>
        HasTrainingData ? [Certify(CertificateData.Evaluation, options), Certify(CertificateData.Training, options)] : [Certify(CertificateData.Evaluation, options)];

    /// <summary>Convexity of R(D, C) over the points: <see cref="IdentityCheck.Convexity"/> of <see cref="Points"/>.</summary>
    [Obsolete("Use IdentityCheck.Convexity(surface.Points, tolerance): the identity checks are one API, in FreeEnergy.Core.Identities.")]
    public ConvexityResidual CheckConvexity(double tolerance = 0) => IdentityCheck.Convexity(Points, tolerance);

    /// <summary>The identities over the grid of the points: <see cref="IdentityCheck.Grid"/> of <see cref="Points"/>.</summary>
    /// <param name="tolerance">Absolute slack for the sign checks (concavity, convexity), in nats.</param>
    [Obsolete("Use IdentityCheck.Grid(surface.Points, tolerance): the identity checks are one API, in FreeEnergy.Core.Identities.")]
    public SurfaceIdentityReport CheckIdentities(double tolerance = 0) => IdentityCheck.Grid(Points, tolerance);

    /// <summary>
    /// The rate on the equilibrium curve R(D) at constant <paramref name="gamma"/>, interpolated over the
    /// points with that γ (monotone cubic in D; exact at the points). At least two points with that γ are needed.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two points have this γ.</exception>
    public double InterpolateRate(double distortion, double gamma)
    {
        var row = Records.Where(r => r.Gamma == gamma).OrderBy(r => r.Distortion).ToList();
        if (row.Count < 2)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Interpolation along γ = {gamma} needs at least 2 points with that γ; the surface has {row.Count}."), nameof(gamma));
        }

        var spline = CubicSpline.InterpolatePchipSorted([.. row.Select(r => r.Distortion)], [.. row.Select(r => r.Rate)]);
        return spline.Interpolate(distortion);
    }

    /// <summary>Loads the model saved at a point (the caller owns it).</summary>
    /// <exception cref="InvalidOperationException">No checkpoint was kept for the point.</exception>
    public RateDistortionModel LoadModel(SurfaceRecord record, string? device = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        return RateDistortionModel.Load(CheckpointPath(record), device);
    }

    /// <summary>
    /// Estimates D_λ, D_γ, C_λ, C_γ at a point with <paramref name="estimator"/>, on the model saved there.
    /// </summary>
    public SurfaceDerivatives Derivatives(SurfaceRecord record, IDerivativeEstimator estimator, LabeledTensorDataset data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        ArgumentNullException.ThrowIfNull(data);
        using var model = LoadModel(record);
        return estimator.Estimate(model, record.Multipliers, data, cancellationToken);
    }

    private string CheckpointPath(SurfaceRecord record)
    {
        if (record.Checkpoint is null || Directory is null)
        {
            throw new InvalidOperationException($"No model was kept for point {record.Index} {record.Multipliers}; run the sweep with a records file to keep checkpoints.");
        }

        return Path.Combine(Directory, record.Checkpoint);
    }

    // A record's checkpoint path, relative to 'from', rewritten relative to 'to' (unchanged when either is unknown).
    private static SurfaceRecord Rebase(SurfaceRecord record, string? from, string? to) =>
        record.Checkpoint is null || from is null || to is null
            ? record
            : record with { Checkpoint = Path.GetRelativePath(to, Path.Combine(from, record.Checkpoint)) };

    private static bool SameResult(SurfaceRecord a, SurfaceRecord b) =>
        a.Plan == b.Plan && a.Status == b.Status && a.Lambda == b.Lambda && a.Gamma == b.Gamma && a.Rate == b.Rate && a.Distortion == b.Distortion && a.Classification == b.Classification;

    internal static string? Validate(SurfaceRecord r)
    {
        if (r.Kind != SurfaceRecord.KindName)
        {
            return $"not a surface record (kind '{r.Kind}', expected '{SurfaceRecord.KindName}')";
        }

        if (r.Version < 1 || r.Version > SurfaceRecord.CurrentVersion)
        {
            return string.Create(CultureInfo.InvariantCulture, $"record version {r.Version} is not supported (this library reads 1 to {SurfaceRecord.CurrentVersion})");
        }

        if (string.IsNullOrEmpty(r.Plan) || r.Index < 0 || !(r.Lambda > 0) || !(r.Gamma >= 0) || !double.IsFinite(r.Lambda) || !double.IsFinite(r.Gamma))
        {
            return "the record lacks a plan, an index or valid multipliers";
        }

        if (r.IsDiverged || r.DivergedAt is not null)
        {
            return DivergenceProblem(r);
        }

        if (!double.IsFinite(r.Rate) || !double.IsFinite(r.Distortion) || !double.IsFinite(r.Classification))
        {
            return "the record's functionals are not finite";
        }

        if (r.Training is { } t && !(double.IsFinite(t.Rate) && double.IsFinite(t.Distortion) && double.IsFinite(t.Classification)))
        {
            return "the record's training functionals are not finite";
        }

        if (r.EvaluationStatistics is { IsFinite: false } || r.TrainingStatistics is { IsFinite: false })
        {
            return "the record's statistics (standard errors) are not finite";
        }

        if (r.Window is { IsValid: false })
        {
            return "the record's convergence window is not finite or has series of different lengths";
        }

        return null;
    }

    /// <summary>What is wrong with a record that is, or claims to be, diverged; null when nothing.</summary>
    private static string? DivergenceProblem(SurfaceRecord r) =>
        !r.IsDiverged ? "the record has 'divergedAt' but not \"status\": \"diverged\""
        : r.DivergedAt is null ? "a diverged record lacks 'divergedAt' (the epoch and step of the divergence)"
        : r.Checkpoint is not null ? "a diverged record names a checkpoint (a diverged point has no model)"
        : null;

    private static string? Consistency(IReadOnlyList<SurfaceRecord> records)
    {
        var plans = records.Select(r => r.Plan).Distinct().ToList();
        if (plans.Count > 1)
        {
            return $"the records come from {plans.Count} different sweep plans ({string.Join(", ", plans)})";
        }

        var duplicate = records.GroupBy(r => r.Index).FirstOrDefault(g => g.Count() > 1);
        return duplicate is null ? null : string.Create(CultureInfo.InvariantCulture, $"point {duplicate.Key} appears {duplicate.Count()} times");
    }
}
