using FreeEnergy.Core.Derivatives;

namespace FreeEnergy.Core.Identities;

/// <summary>All local identities at one point, checked on a central-difference stencil.</summary>
/// <param name="Stencil">The five points the residuals come from.</param>
/// <param name="Derivatives">D_λ, D_γ, C_λ, C_γ by central differences.</param>
/// <param name="Envelope">∂F/∂λ − D and ∂F/∂γ − C.</param>
/// <param name="Maxwell">D_γ − C_λ.</param>
/// <param name="Concavity">The eigenvalues and determinant of the Hessian of F.</param>
public sealed record IdentityResiduals(
    CentralDifferenceStencil Stencil,
    SurfaceDerivatives Derivatives,
    EnvelopeResiduals Envelope,
    MaxwellResidual Maxwell,
    ConcavityResidual Concavity)
{
    /// <summary>The largest of the envelope residuals, the Maxwell residual and the concavity violation, in absolute value.</summary>
    public double MaxAbsResidual => Math.Max(Envelope.MaxAbsResidual, Math.Max(Math.Abs(Maxwell.Residual), Concavity.Violation));
}
