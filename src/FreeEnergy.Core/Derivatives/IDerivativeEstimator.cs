using FreeEnergy.Core.Data;
using FreeEnergy.Core.Models;

namespace FreeEnergy.Core.Derivatives;

/// <summary>
/// Estimates the second derivatives of the free energy along the equilibrium surface,
/// D_λ = ∂D/∂λ, D_γ = ∂D/∂γ, C_λ = ∂C/∂λ and C_γ = ∂C/∂γ, at a model trained to equilibrium.
/// </summary>
/// <remarks>
/// Implementations must leave the model's weights as they found them and must not leak tensors.
/// </remarks>
public interface IDerivativeEstimator
{
    /// <summary>A short name for logs and result files ("implicit", "finite-difference", "fluctuation").</summary>
    string Name { get; }

    /// <summary>
    /// Estimates the derivatives at <paramref name="multipliers"/> for <paramref name="model"/>, which
    /// should be at equilibrium there.
    /// </summary>
    /// <param name="model">The model at equilibrium; its weights are unchanged on return.</param>
    /// <param name="multipliers">The multipliers the model was trained at.</param>
    /// <param name="data">The data the functionals are measured on.</param>
    /// <param name="cancellationToken">Checked between units of work.</param>
    SurfaceDerivatives Estimate(RateDistortionModel model, Multipliers multipliers, LabeledTensorDataset data, CancellationToken cancellationToken = default);
}
