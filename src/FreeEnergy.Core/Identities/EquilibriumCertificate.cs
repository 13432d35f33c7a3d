using System.Globalization;
using FreeEnergy.Core.Surface;

namespace FreeEnergy.Core.Identities;

/// <summary>
/// Which points of a surface are not at equilibrium, and by how much: every pairwise chord inequality along λ
/// and along γ, the lower-envelope condition of the γ = 0 slice and the monotonicity of D in λ and of C in γ
/// (theory.md §2, facts 6 and 7), each with its size in nats against the measured uncertainty, and a verdict
/// per point. Built by <see cref="IdentityCheck.Certify"/> or <see cref="EquilibriumSurface.Certify(CertificateData, CertificateOptions?)"/>.
/// </summary>
public sealed class EquilibriumCertificate
{
    internal EquilibriumCertificate(CertificateData data, CertificateOptions options, IReadOnlyList<CertificateInequality> inequalities, IReadOnlyList<PointVerdict> points)
    {
        Data = data;
        Options = options;
        Inequalities = inequalities;
        Points = points;
        Checked = Enum.GetValues<CertificateKind>().ToDictionary(k => k, k => inequalities.Count(i => i.Kind == k));
    }

    /// <summary>Which functionals were checked.</summary>
    public CertificateData Data { get; }

    /// <summary>The significance rule used.</summary>
    public CertificateOptions Options { get; }

    /// <summary>Every inequality checked, violated or not.</summary>
    public IReadOnlyList<CertificateInequality> Inequalities { get; }

    /// <summary>The violated inequalities (beyond rounding), largest first.</summary>
    public IReadOnlyList<CertificateInequality> Violations => [.. Inequalities.Where(i => i.Violated).OrderByDescending(i => i.Size)];

    /// <summary>The violations beyond their uncertainty, largest first.</summary>
    public IReadOnlyList<CertificateInequality> SignificantViolations => [.. Violations.Where(i => i.Significant)];

    /// <summary>One verdict per point, in the order of the input.</summary>
    public IReadOnlyList<PointVerdict> Points { get; }

    /// <summary>How many inequalities of each kind were checked; a kind with 0 did not apply to this surface.</summary>
    public IReadOnlyDictionary<CertificateKind, int> Checked { get; }

    /// <summary>The kinds that no pair of valid points admits (for example the chords on a non-grid surface).</summary>
    public IReadOnlyList<CertificateKind> NotApplicable => [.. Checked.Where(c => c.Value == 0).Select(c => c.Key)];

    /// <summary>Passed, failed, or not applicable (nothing could be checked).</summary>
    public CertificateOutcome Outcome =>
        Inequalities.Count == 0 ? CertificateOutcome.NotApplicable
        : Inequalities.Any(i => i.Significant) ? CertificateOutcome.Failed
        : CertificateOutcome.Passed;

    /// <summary>The points whose verdict is <see cref="PointStatus.Fail"/>.</summary>
    public IReadOnlyList<int> FailedPoints => [.. Points.Where(p => p.Status == PointStatus.Fail).Select(p => p.Index)];

    /// <summary>The largest violation in nats (0 when none).</summary>
    public double LargestViolation => Inequalities.Where(i => i.Violated).Select(i => i.Size).DefaultIfEmpty(0).Max();

    /// <summary>The largest violation relative to |F| (0 when none).</summary>
    public double LargestRelativeViolation => Inequalities.Where(i => i.Violated).Select(i => i.RelativeSize).DefaultIfEmpty(0).Max();

    /// <inheritdoc />
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Data} certificate: {Outcome}; {Inequalities.Count} inequalities, {Violations.Count} violated ({SignificantViolations.Count} significant), largest {LargestViolation:G4} nats ({LargestRelativeViolation:P3} of |F|); failed points: {(FailedPoints.Count == 0 ? "none" : string.Join(", ", FailedPoints))}");
}
