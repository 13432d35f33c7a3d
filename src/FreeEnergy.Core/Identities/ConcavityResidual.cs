namespace FreeEnergy.Core.Identities;

/// <summary>
/// Concavity of F at one point (theory.md §2, fact 2): the Hessian [[D_λ, D_γ], [C_λ, C_γ]] must be negative
/// semidefinite, so D_λ ≤ 0, C_γ ≤ 0 and D_λ·C_γ − D_γ·C_λ ≥ 0. The eigenvalues are those of the symmetric part
/// (the off-diagonal entries averaged), which is what a quadratic form sees; the asymmetry is the Maxwell residual.
/// </summary>
/// <param name="DLambda">D_λ = ∂²F/∂λ².</param>
/// <param name="DGamma">D_γ.</param>
/// <param name="CLambda">C_λ.</param>
/// <param name="CGamma">C_γ = ∂²F/∂γ².</param>
public sealed record ConcavityResidual(double DLambda, double DGamma, double CLambda, double CGamma)
{
    /// <summary>D_λ·C_γ − D_γ·C_λ (≥ 0 for a concave F).</summary>
    public double Determinant => (DLambda * CGamma) - (DGamma * CLambda);

    /// <summary>The larger eigenvalue of the symmetric part of the Hessian (≤ 0 for a concave F).</summary>
    public double LargestEigenvalue => Mean + Radius;

    /// <summary>The smaller eigenvalue of the symmetric part of the Hessian.</summary>
    public double SmallestEigenvalue => Mean - Radius;

    /// <summary>max(0, <see cref="LargestEigenvalue"/>): by how much concavity fails.</summary>
    public double Violation => Math.Max(0, LargestEigenvalue);

    private double Mean => (DLambda + CGamma) / 2;

    private double Radius
    {
        get
        {
            double half = (DLambda - CGamma) / 2;
            double off = (DGamma + CLambda) / 2;
            return Math.Sqrt((half * half) + (off * off));
        }
    }

    /// <summary>Whether the largest eigenvalue of the symmetric part is at most <paramref name="tolerance"/>.</summary>
    /// <param name="tolerance">The slack allowed for numerical error, ≥ 0.</param>
    /// <returns>True when F is concave at the point within the tolerance.</returns>
    public bool IsNegativeSemidefinite(double tolerance = 0) => LargestEigenvalue <= tolerance;
}
