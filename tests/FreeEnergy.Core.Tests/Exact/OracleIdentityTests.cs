using FreeEnergy.Core.Exact;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Identities;
using FreeEnergy.Core.Surface;
using Xunit.Abstractions;

namespace FreeEnergy.Core.Tests.Exact;

/// <summary>The identities of theory.md §2 on the exact oracle, by central differences with warm starts.</summary>
public class OracleIdentityTests(ITestOutputHelper output)
{
    /// <summary>
    /// Step of the central differences, in λ and in γ. Truncation error is h²/6 times third derivatives of F, which
    /// reach a few hundred near the IB transitions of these joints (measured: residuals scale as h², ≈3e-7 at
    /// h = 1e-4); round-off is ε/h with ε ≈ 1e-14 the error of D, C at max |Δe| &lt; 1e-15. h = 1e-5 balances the two
    /// at ≈1e-9, three orders below the 1e-6 the tests demand.
    /// </summary>
    private const double Step = 1e-5;

    private const double Tolerance = 1e-6;

    [Theory]
    [MemberData(nameof(ExactFreeEnergySolverTests.Cases), MemberType = typeof(ExactFreeEnergySolverTests))]
    public void EnvelopeMaxwellAndConcavityHold(int seed, int nx, int ny, double lambda, double gamma)
    {
        var source = DiscreteSource.Random(nx, ny, seed);
        // Two starts: the local identities hold on every smooth branch, global or not.
        var solver = new ExactFreeEnergySolver(new ExactSolverOptions(seed: seed, restarts: 2));
        var center = solver.Solve(source, new Multipliers(lambda, gamma));
        int neighbourIterations = 0;
        bool allConverged = true;

        // Center first (CentralDifferenceStencil.Evaluate's documented order), then each neighbour warm-started
        // from the center so that all five points lie on one branch.
        var residuals = IdentityCheck.AtPoint(lambda, gamma, Step, Step, (l, g) =>
        {
            if (l == lambda && g == gamma)
            {
                return center.ToSurfacePoint();
            }

            var s = solver.Solve(source, new Multipliers(l, g), center);
            neighbourIterations += s.Iterations;
            allConverged &= s.Converged;
            return s.ToSurfacePoint();
        });

        output.WriteLine(
            $"{center}\n  envelope λ: {residuals.Envelope.LambdaResidual:G3}, γ: {residuals.Envelope.GammaResidual:G3}; " +
            $"Maxwell: {residuals.Maxwell.Residual:G3} (D_γ = {residuals.Derivatives.DGamma:G6}); " +
            $"Hessian eigenvalues {residuals.Concavity.LargestEigenvalue:G3}, {residuals.Concavity.SmallestEigenvalue:G3}, det {residuals.Concavity.Determinant:G3}; " +
            $"neighbour iterations {neighbourIterations}");

        Assert.True(center.Converged && allConverged);
        Assert.True(residuals.Envelope.MaxAbsResidual < Tolerance, $"envelope residual {residuals.Envelope.MaxAbsResidual:G3}");
        Assert.True(Math.Abs(residuals.Maxwell.Residual) < Tolerance, $"Maxwell residual {residuals.Maxwell.Residual:G3}");
        Assert.True(residuals.Concavity.IsNegativeSemidefinite(Tolerance), $"largest Hessian eigenvalue {residuals.Concavity.LargestEigenvalue:G3}");
        Assert.True(residuals.Concavity.DLambda <= Tolerance && residuals.Concavity.CGamma <= Tolerance);
        Assert.True(residuals.Concavity.Determinant >= -Tolerance, $"determinant {residuals.Concavity.Determinant:G3}");
    }

    /// <summary>Points of the exact surface on a (λ, γ) grid in both regimes pass the supporting-plane test of R(D, C).</summary>
    [Fact]
    public void TheExactSurfaceHasAConvexRateFunction()
    {
        var source = DiscreteSource.Random(7, 2, seed: 4);
        var solver = new ExactFreeEnergySolver(new ExactSolverOptions(seed: 4));
        var points = new List<SurfacePoint>();
        foreach (double lambda in new[] { 0.2, 0.5, 0.8, 1.5 })
        {
            foreach (double gamma in new[] { 0.5, 2, 5 })
            {
                points.Add(solver.Solve(source, new Multipliers(lambda, gamma)).ToSurfacePoint());
            }
        }

        var convexity = IdentityCheck.Convexity(points, tolerance: 1e-10);
        output.WriteLine($"worst violation {convexity.WorstViolation:G3} over {convexity.PairCount} pairs");
        Assert.True(convexity.IsConvex, $"worst violation {convexity.WorstViolation:G3} at ({convexity.SupportIndex}, {convexity.ViolatingIndex})");
    }
}
