using FreeEnergy.Core.Internal;

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
    /// <summary>The defaults (<see cref="Defaults"/>): 2 standard errors, relative tolerance 10⁻⁹, drift not counted.</summary>
    public static CertificateOptions Default { get; } = new();

    /// <summary>How many standard errors a violation must exceed (default <see cref="Defaults.Sigmas"/>), finite and ≥ 0.</summary>
    public double Sigmas
    {
        get;
        init => field = Guard.NonNegative(value, nameof(Sigmas), paramName: nameof(Sigmas));
    } = Defaults.Sigmas;

    /// <summary>Whether the drift over the convergence window is added to the threshold (default <see cref="Defaults.IncludeDrift"/>).</summary>
    public bool IncludeDrift { get; init; } = Defaults.IncludeDrift;

    /// <summary>The rounding tolerance relative to max(1, |F|) (default <see cref="Defaults.RelativeTolerance"/>), finite and ≥ 0.</summary>
    public double RelativeTolerance
    {
        get;
        init => field = Guard.NonNegative(value, nameof(RelativeTolerance), paramName: nameof(RelativeTolerance));
    } = Defaults.RelativeTolerance;

    /// <summary>
    /// The default of every setting. (These options validate each value as it is set, like the value types of
    /// FreeEnergy.Core.Models, so an instance is never invalid and needs no separate validation step.)
    /// </summary>
    public static class Defaults
    {
        /// <summary>2 standard errors.</summary>
        public const double Sigmas = 2;

        /// <summary>The drift is reported, not counted.</summary>
        public const bool IncludeDrift = false;

        /// <summary>10⁻⁹ of max(1, |F|).</summary>
        public const double RelativeTolerance = 1e-9;
    }
}
