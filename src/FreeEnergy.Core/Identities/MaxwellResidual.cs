namespace FreeEnergy.Core.Identities;

/// <summary>
/// The Maxwell relation ∂D/∂γ = ∂C/∂λ at one point (theory.md §2, fact 3): the symmetry of the Hessian of F.
/// </summary>
/// <param name="DGamma">∂D/∂γ.</param>
/// <param name="CLambda">∂C/∂λ.</param>
/// <param name="Uncertainty">One standard error of the residual, √(σ(D_γ)² + σ(C_λ)²), when both derivatives carry one; otherwise null.</param>
public sealed record MaxwellResidual(double DGamma, double CLambda, double? Uncertainty)
{
    /// <summary>D_γ − C_λ.</summary>
    public double Residual => DGamma - CLambda;

    /// <summary>|D_γ − C_λ| / max(|D_γ|, |C_λ|), or 0 when both are 0.</summary>
    public double RelativeResidual
    {
        get
        {
            double scale = Math.Max(Math.Abs(DGamma), Math.Abs(CLambda));
            return scale > 0 ? Math.Abs(Residual) / scale : 0;
        }
    }

    /// <summary>|D_γ − C_λ| in units of <see cref="Uncertainty"/> (a z-score), or null without a positive uncertainty.</summary>
    public double? Significance => Uncertainty is double s && s > 0 ? Math.Abs(Residual) / s : null;
}
