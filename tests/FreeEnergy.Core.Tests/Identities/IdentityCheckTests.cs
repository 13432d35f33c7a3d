using FreeEnergy.Core.Derivatives;
using FreeEnergy.Core.Identities;
using FreeEnergy.Core.Surface;

namespace FreeEnergy.Core.Tests.Identities;

public class IdentityCheckTests
{
    /// <summary>
    /// A smooth concave free energy with a cross term: F = ln(1 + λ + 2γ) + √λ. Its Hessian is
    /// −[[1, 2], [2, 4]]/(1 + λ + 2γ)² − diag(1/(4λ^{3/2}), 0), negative semidefinite.
    /// </summary>
    private static SurfacePoint Concave(double lambda, double gamma)
    {
        double s = 1 + lambda + (2 * gamma);
        double f = Math.Log(s) + Math.Sqrt(lambda);
        double d = (1 / s) + (0.5 / Math.Sqrt(lambda));
        double c = 2 / s;
        return new SurfacePoint(lambda, gamma, f - (lambda * d) - (gamma * c), d, c);
    }

    /// <summary>A convex "free energy" F = λ² + λγ + γ²: D = 2λ + γ, C = λ + 2γ, R = −(λ² + λγ + γ²). No equilibrium surface has it.</summary>
    private static SurfacePoint Convex(double lambda, double gamma) =>
        new(lambda, gamma, -((lambda * lambda) + (lambda * gamma) + (gamma * gamma)), (2 * lambda) + gamma, lambda + (2 * gamma));

    [Fact]
    public void AConcaveFreeEnergyPassesEveryLocalCheck()
    {
        const double lambda = 0.7, gamma = 1.3, h = 1e-4;
        var residuals = IdentityCheck.AtPoint(lambda, gamma, h, h, Concave);

        double s = 1 + lambda + (2 * gamma);
        Assert.Equal(h, residuals.Stencil.LambdaStep, 12);
        Assert.True(residuals.Envelope.MaxAbsResidual < 1e-8, residuals.Envelope.ToString());
        Assert.Equal((-1 / (s * s)) - (0.25 / Math.Pow(lambda, 1.5)), residuals.Derivatives.DLambda, 1e-7);
        Assert.Equal(-2 / (s * s), residuals.Derivatives.DGamma, 1e-7);
        Assert.Equal(-2 / (s * s), residuals.Derivatives.CLambda, 1e-7);
        Assert.Equal(-4 / (s * s), residuals.Derivatives.CGamma, 1e-7);
        Assert.True(Math.Abs(residuals.Maxwell.Residual) < 1e-8);
        Assert.True(residuals.Concavity.IsNegativeSemidefinite());
        Assert.True(residuals.Concavity.Determinant > 0);
        Assert.Equal(0, residuals.Concavity.Violation);
        Assert.True(residuals.MaxAbsResidual < 1e-8);
    }

    [Fact]
    public void AConvexFreeEnergyFailsConcavityAndAWrongDistortionFailsTheEnvelope()
    {
        var convex = IdentityCheck.AtPoint(1, 1, 1e-3, 1e-3, Convex);
        Assert.False(convex.Concavity.IsNegativeSemidefinite(1e-6));
        Assert.Equal(3, convex.Concavity.LargestEigenvalue, 1e-6); // eigenvalues of [[2, 1], [1, 2]]: 3 and 1
        Assert.Equal(1, convex.Concavity.SmallestEigenvalue, 1e-6);
        Assert.Equal(3, convex.Concavity.Violation, 1e-6);

        // Report D too high by 0.01 with F unchanged (R lowered by λ·0.01): the envelope residual shows exactly that.
        var shifted = IdentityCheck.AtPoint(0.7, 1.3, 1e-4, 1e-4, (l, g) =>
        {
            var p = Concave(l, g);
            return new SurfacePoint(l, g, p.Rate - (l * 0.01), p.Distortion + 0.01, p.Classification);
        });
        Assert.Equal(-0.01, shifted.Envelope.LambdaResidual, 1e-6);
    }

    [Fact]
    public void MaxwellCombinesUncertaintiesAndFlagsAnAsymmetricHessian()
    {
        var derivatives = new SurfaceDerivatives(-1, -0.30, -0.26, -2) { DGammaUncertainty = 0.03, CLambdaUncertainty = 0.04 };
        var maxwell = IdentityCheck.Maxwell(derivatives);
        Assert.Equal(-0.04, maxwell.Residual, 12);
        Assert.Equal(0.05, maxwell.Uncertainty!.Value, 12);
        Assert.Equal(0.8, maxwell.Significance!.Value, 12);
        Assert.Equal(0.04 / 0.30, maxwell.RelativeResidual, 12);

        var withoutUncertainty = IdentityCheck.Maxwell(new SurfaceDerivatives(-1, -0.30, -0.26, -2));
        Assert.Null(withoutUncertainty.Uncertainty);
        Assert.Null(withoutUncertainty.Significance);
    }

    [Fact]
    public void ConcavityFromDerivativesReportsTheTheoryConditions()
    {
        // D_λ ≤ 0 and C_γ ≤ 0 but D_λ·C_γ < D_γ·C_λ: not concave, though each diagonal entry has the right sign.
        var saddle = IdentityCheck.Concavity(new SurfaceDerivatives(-1, 2, 2, -1));
        Assert.Equal(-3, saddle.Determinant, 12);
        Assert.Equal(1, saddle.LargestEigenvalue, 12);
        Assert.Equal(-3, saddle.SmallestEigenvalue, 12);
        Assert.False(saddle.IsNegativeSemidefinite());
    }

    [Fact]
    public void ConvexityPassesAConvexSetAndFlagsTheBrokenPair()
    {
        var grid = new List<SurfacePoint>();
        foreach (double lambda in new[] { 0.3, 0.6, 1.0, 2.0 })
        {
            foreach (double gamma in new[] { 0.5, 1.0, 3.0 })
            {
                grid.Add(Concave(lambda, gamma));
            }
        }

        var convex = IdentityCheck.Convexity(grid);
        Assert.True(convex.IsConvex);
        Assert.True(convex.WorstViolation <= 0);
        Assert.Equal(12 * 11, convex.PairCount);

        // Raise one point's rate above its neighbours' supporting planes: that point now lies above the
        // planes of others (it is j) and its own plane lies above them (it is i).
        var bumped = grid.ToList();
        var p = bumped[5];
        bumped[5] = new SurfacePoint(p.Lambda, p.Gamma, p.Rate + 0.05, p.Distortion, p.Classification);
        var broken = IdentityCheck.Convexity(bumped, tolerance: 1e-9);
        Assert.False(broken.IsConvex);
        Assert.True(broken.WorstViolation > 0.01);
        Assert.Equal(5, broken.SupportIndex);
        Assert.True(broken.ViolationCount > 0);
    }

    [Fact]
    public void ConvexityFlagsADeliberatelyNonConvexSet()
    {
        // R(D, C) from a convex F is concave: every pair violates the supporting-plane inequality.
        var points = new[] { Convex(0.5, 0.5), Convex(1, 0.5), Convex(0.5, 2), Convex(2, 2) };
        var result = IdentityCheck.Convexity(points);
        Assert.False(result.IsConvex);
        Assert.Equal(12, result.ViolationCount);
        Assert.True(result.WorstViolation > 1);
    }
}
