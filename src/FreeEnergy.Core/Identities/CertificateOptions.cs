using System.Globalization;

namespace FreeEnergy.Core.Identities;

/// <summary>How an <see cref="EquilibriumCertificate"/> decides that a violation is significant.</summary>
/// <remarks>
/// A violation of size s (nats) is significant when s &gt; <see cref="Sigmas"/>·SE + tolerance, with SE the
/// standard error over the examples and tolerance = <see cref="RelativeTolerance"/>·max(1, |F|) for
/// floating-point rounding. The drift over the convergence window is reported beside each violation but by
/// default does not excuse it: an inequality F_p ≤ J_q(λ_p, γ_p) between two measured models holds or fails up
/// to sampling noise, whatever the trainer was still doing; a large drift says why p is not at its minimum.
/// <see cref="IncludeDrift"/> adds it to the threshold for a more lenient verdict.
/// </remarks>
public sealed record CertificateOptions
{
    /// <summary>The defaults: 2 standard errors, relative tolerance 10⁻⁹.</summary>
    public static CertificateOptions Default { get; } = new();

    /// <summary>How many standard errors a violation must exceed (default 2), finite and ≥ 0.</summary>
    public double Sigmas
    {
        get;
        init => field = double.IsFinite(value) && value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(Sigmas), value, string.Create(CultureInfo.InvariantCulture, $"Sigmas must be finite and ≥ 0; got {value:R}."));
    } = 2;

    /// <summary>Whether the drift over the convergence window is added to the threshold (default false).</summary>
    public bool IncludeDrift { get; init; }

    /// <summary>The rounding tolerance relative to max(1, |F|) (default 10⁻⁹), finite and ≥ 0.</summary>
    public double RelativeTolerance
    {
        get;
        init => field = double.IsFinite(value) && value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(RelativeTolerance), value, string.Create(CultureInfo.InvariantCulture, $"RelativeTolerance must be finite and ≥ 0; got {value:R}."));
    } = 1e-9;
}
