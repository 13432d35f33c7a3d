namespace FreeEnergy.Core.Derivatives;

/// <summary>
/// The derivatives found by <see cref="ImplicitDerivativeEstimator"/> together with what the solves did, so
/// that a caller can judge them: conjugate-gradient convergence, the curvature seen, how far the weights were
/// from a stationary point, and how asymmetric the two plain off-diagonal estimates were.
/// </summary>
/// <param name="Derivatives">D_λ, D_γ, C_λ, C_γ; D_γ and C_λ are the same number (see <paramref name="OffDiagonalAsymmetry"/>).</param>
/// <param name="DistortionSolve">The solve of (H + δI)·u = ∇D.</param>
/// <param name="ClassificationSolve">The solve of (H + δI)·w = ∇C (0 iterations when ∇C = 0, for example with one class).</param>
/// <param name="Examples">The number of distinct examples J, ∇D, ∇C and H were computed on.</param>
/// <param name="NoiseReplicas">How many independent z-noise draws each example got.</param>
/// <param name="Parameters">The number of trainable scalars θ.</param>
/// <param name="Damping">δ, the multiple of the identity added to H in the final solves (larger than the configured one when it was raised).</param>
/// <param name="DampingIncreases">How many times δ was raised because H + δI was found not positive definite.</param>
/// <param name="GradientNorm">
/// ‖∇J‖ at the weights, with the estimator's fixed z-noise: 0 at an exact stationary point of that J.
/// Compare it with ‖∇D‖·λ to see how far from equilibrium the model is.
/// </param>
/// <param name="DistortionGradientNorm">‖∇D‖.</param>
/// <param name="ClassificationGradientNorm">‖∇C‖.</param>
/// <param name="OffDiagonalAsymmetry">
/// |∇Cᵀu − ∇Dᵀw|, the difference between the two plain estimates of −C_λ and −D_γ; it is 0 for exact solves
/// and measures the CG error. The reported off-diagonal is the symmetric estimate ∇Cᵀu + ∇Dᵀw − uᵀ(H + δI)w,
/// whose error is second order in the solve errors.
/// </param>
/// <param name="Elapsed">Wall time of the estimate.</param>
public sealed record ImplicitDerivativeReport(
    SurfaceDerivatives Derivatives,
    ConjugateGradientReport DistortionSolve,
    ConjugateGradientReport ClassificationSolve,
    long Examples,
    int NoiseReplicas,
    long Parameters,
    double Damping,
    int DampingIncreases,
    double GradientNorm,
    double DistortionGradientNorm,
    double ClassificationGradientNorm,
    double OffDiagonalAsymmetry,
    TimeSpan Elapsed)
{
    /// <summary>Whether both solves converged without meeting negative curvature.</summary>
    public bool Converged =>
        DistortionSolve.Converged && !DistortionSolve.NegativeCurvature && ClassificationSolve.Converged && !ClassificationSolve.NegativeCurvature;
}
