using FreeEnergy.Core.Surface;

namespace FreeEnergy.Core.Identities;

/// <summary>
/// The thermodynamic identities checked over the points of an <see cref="EquilibriumSurface"/> with
/// finite differences between neighbouring grid points. Every residual is relative to the size of the
/// quantities it compares, so 0.01 means 1%.
/// </summary>
/// <param name="EnvelopeLambda">
/// Worst |ΔF − ½(D₁ + D₂)Δλ| / |ΔF| between λ-neighbours at the same γ (the integrated envelope relation
/// ∂F/∂λ = D, exact to second order in Δλ); NaN without such pairs.
/// </param>
/// <param name="EnvelopeGamma">The same for γ-neighbours at the same λ (∂F/∂γ = C); NaN without such pairs.</param>
/// <param name="Maxwell">
/// Worst |ΔD/Δγ − ΔC/Δλ| / max(|ΔD/Δγ|, |ΔC/Δλ|) over grid cells (each difference averaged over the cell's two
/// edges); NaN without complete cells.
/// </param>
/// <param name="ConcavityViolations">
/// Pairs of neighbours where D grows with λ or C grows with γ (F is concave, so D_λ ≤ 0 and C_γ ≤ 0), beyond
/// the tolerance.
/// </param>
/// <param name="Convexity">The supporting-plane check of R(D, C) over all pairs of points.</param>
/// <param name="Pairs">Neighbour pairs compared.</param>
/// <param name="Cells">Grid cells compared for the Maxwell relation.</param>
public sealed record SurfaceIdentityReport(
    double EnvelopeLambda,
    double EnvelopeGamma,
    double Maxwell,
    int ConcavityViolations,
    ConvexityResidual Convexity,
    int Pairs,
    int Cells);
