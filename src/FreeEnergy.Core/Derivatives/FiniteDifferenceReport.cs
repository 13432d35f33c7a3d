using FreeEnergy.Core.Surface;

namespace FreeEnergy.Core.Derivatives;

/// <summary>
/// The derivatives found by <see cref="FiniteDifferenceEstimator"/> with the relaxed points they came from.
/// </summary>
/// <param name="Derivatives">D_λ, D_γ, C_λ, C_γ and their uncertainties.</param>
/// <param name="Center">The point at (λ, γ): relaxed like the others, or the unrelaxed model when center relaxation is off.</param>
/// <param name="LambdaMinus">The relaxed point at (λ − h_λ, γ).</param>
/// <param name="LambdaPlus">The relaxed point at (λ + h_λ, γ).</param>
/// <param name="GammaMinus">The relaxed point at (λ, γ − h_γ), or null when the γ-difference is one-sided.</param>
/// <param name="GammaPlus">The relaxed point at (λ, γ + h_γ).</param>
/// <param name="LambdaStep">h_λ.</param>
/// <param name="GammaStep">h_γ.</param>
/// <param name="AllRelaxationsConverged">Whether every relaxation met the trainer's convergence rule.</param>
/// <param name="Epochs">Epochs trained over all relaxations.</param>
/// <param name="Elapsed">Wall time of the estimate.</param>
public sealed record FiniteDifferenceReport(
    SurfaceDerivatives Derivatives,
    SurfacePoint Center,
    SurfacePoint LambdaMinus,
    SurfacePoint LambdaPlus,
    SurfacePoint? GammaMinus,
    SurfacePoint GammaPlus,
    double LambdaStep,
    double GammaStep,
    bool AllRelaxationsConverged,
    int Epochs,
    TimeSpan Elapsed)
{
    /// <summary>Whether the γ-derivatives are forward differences (γ − h_γ would be negative).</summary>
    public bool GammaOneSided => GammaMinus is null;
}
