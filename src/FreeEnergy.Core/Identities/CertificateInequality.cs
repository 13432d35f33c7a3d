using System.Globalization;

namespace FreeEnergy.Core.Identities;

/// <summary>
/// One checked inequality of an <see cref="EquilibriumCertificate"/>. <see cref="Size"/> is how far it is
/// violated, in nats of F (negative: the slack by which it holds).
/// </summary>
/// <remarks>
/// For <see cref="CertificateKind.ChordLambda"/>, <see cref="CertificateKind.ChordGamma"/> and
/// <see cref="CertificateKind.Envelope"/> the inequality is F_p ≤ J_q(λ_p, γ_p): the model of the partner q,
/// evaluated at the multipliers of <see cref="Point"/> p, must not beat p's own F. A violation proves that p
/// is not at its minimum, so it is blamed on p. For the monotonicity kinds <see cref="Point"/> is the point with
/// the larger multiplier and nothing is blamed (the pair's two chord inequalities assign the blame).
/// </remarks>
/// <param name="Kind">Which inequality.</param>
/// <param name="Point">Index of the point the inequality bounds (the one blamed for a chord or envelope violation).</param>
/// <param name="Partner">Index of the other point.</param>
/// <param name="Size">Violation in nats (F_p − J_q(λ_p, γ_p), or (D_b − D_a)(λ_b − λ_a), (C_b − C_a)(γ_b − γ_a)).</param>
/// <param name="RelativeSize">Size / |F_p| (for monotonicity: / the larger |F| of the pair).</param>
/// <param name="StandardError">
/// The standard error of the size over the examples, or null when not measured. Paired (<paramref name="Paired"/>):
/// the standard deviation over the examples of the per-example difference of the two sides, both models on the
/// same examples with the same z-noise (common random numbers), over √n. Otherwise √(SE_p² + SE_q²) from the
/// records' statistics: conservative, as the two sides' positive correlation is not subtracted.
/// </param>
/// <param name="Paired">Whether <paramref name="StandardError"/> is the paired one.</param>
/// <param name="Drift">
/// The drift of the size over the convergence windows of both points (sum), or null when not recorded. Reported;
/// counted in <paramref name="Significant"/> only with <see cref="CertificateOptions.IncludeDrift"/>.
/// </param>
/// <param name="Tolerance">The rounding tolerance used, in nats.</param>
/// <param name="Significant">Size &gt; Sigmas·SE + tolerance (+ drift with <see cref="CertificateOptions.IncludeDrift"/>).</param>
public sealed record CertificateInequality(
    CertificateKind Kind,
    int Point,
    int Partner,
    double Size,
    double RelativeSize,
    double? StandardError,
    bool Paired,
    double? Drift,
    double Tolerance,
    bool Significant)
{
    /// <summary>Whether the inequality is violated beyond rounding (significant or not).</summary>
    public bool Violated => Size > Tolerance;

    /// <summary>Whether a violation is blamed on <see cref="Point"/> (chord and envelope kinds).</summary>
    public bool Blames => Kind is CertificateKind.ChordLambda or CertificateKind.ChordGamma or CertificateKind.Envelope;

    /// <inheritdoc />
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Kind} at point {Point} against {Partner}: {Size:G4} nats ({RelativeSize:P3} of |F|), SE {(StandardError is double s ? s.ToString("G3", CultureInfo.InvariantCulture) + (Paired ? " (paired)" : string.Empty) : "n/a")}, drift {(Drift is double d ? d.ToString("G3", CultureInfo.InvariantCulture) : "n/a")}{(Significant ? ", significant" : string.Empty)}");
}
