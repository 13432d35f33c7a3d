namespace FreeEnergy.Core.Derivatives;

/// <summary>
/// How one damped conjugate-gradient solve (H + δI)·u = b of <see cref="ImplicitDerivativeEstimator"/> ended.
/// </summary>
/// <param name="Iterations">Hessian-vector products spent (0 when b = 0 and nothing had to be solved).</param>
/// <param name="RelativeResidual">‖b − (H + δI)·u‖ / ‖b‖ at the end, from the recursively updated residual (0 when b = 0).</param>
/// <param name="Converged">Whether the relative residual reached the tolerance.</param>
/// <param name="NegativeCurvature">
/// Whether a search direction p with pᵀ(H + δI)p ≤ 0 was met: the damped Hessian is not positive definite
/// (the weights are not at a minimum, or the damping is smaller than |the most negative eigenvalue|). The
/// solve then stopped with the iterate before that direction.
/// </param>
/// <param name="SmallestRitzValue">
/// The smallest eigenvalue of the Lanczos matrix built from the CG coefficients, minus δ: an estimate (from
/// above) of the smallest eigenvalue of H in the Krylov space the solve explored; NaN when no iteration ran.
/// </param>
/// <param name="LargestRitzValue">The largest such eigenvalue, minus δ: an estimate (from below) of H's largest eigenvalue; NaN when no iteration ran.</param>
public sealed record ConjugateGradientReport(
    int Iterations,
    double RelativeResidual,
    bool Converged,
    bool NegativeCurvature,
    double SmallestRitzValue,
    double LargestRitzValue);
