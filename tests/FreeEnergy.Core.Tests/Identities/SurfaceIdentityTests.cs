using FreeEnergy.Core.Identities;
using FreeEnergy.Core.Surface;
using FreeEnergy.Core.Tests.Surface;
using Xunit.Abstractions;

namespace FreeEnergy.Core.Tests.Identities;

public class SurfaceIdentityTests(ITestOutputHelper output)
{
    /// <summary>A surface of exact oracle solutions on a small (λ, γ) grid, continued along λ for each γ.</summary>
    private static EquilibriumSurface OracleSurface(double[] lambdas, double[] gammas) => new(OracleSurfaces.Grid(lambdas, gammas));

    /// <remarks>
    /// The grid spacing is 0.01, so the trapezoid envelope and the cell-averaged Maxwell differences are
    /// exact to O(h²) ≈ 1e-4 relative; the measured residuals on this joint are reported by the test.
    /// </remarks>
    [Fact]
    public void AnExactSurfaceSatisfiesTheIdentitiesOnItsGrid()
    {
        var surface = OracleSurface([0.50, 0.51, 0.52, 0.53], [2.00, 2.01, 2.02]);
        var report = IdentityCheck.Grid(surface.Points, tolerance: 1e-9);
        output.WriteLine($"envelope λ {report.EnvelopeLambda:E2}, envelope γ {report.EnvelopeGamma:E2}, Maxwell {report.Maxwell:E2}, concavity violations {report.ConcavityViolations}, convexity worst {report.Convexity.WorstViolation:E2}");

        Assert.Equal(17, report.Pairs); // 3 rows × 3 λ-pairs + 4 columns × 2 γ-pairs
        Assert.Equal(6, report.Cells);
        Assert.InRange(report.EnvelopeLambda, 0, 1e-3);
        Assert.InRange(report.EnvelopeGamma, 0, 1e-3);
        Assert.InRange(report.Maxwell, 0, 0.05);
        Assert.Equal(0, report.ConcavityViolations);
        Assert.True(report.Convexity.IsConvex);
    }

    [Fact]
    public void ASurfaceThatBreaksTheIdentitiesIsFlagged()
    {
        var exact = OracleSurface([0.5, 0.6, 0.7], [1.0, 2.0]);
        // Raise D at λ = 0.6 above its value at λ = 0.5: D now grows with λ and ∫D dλ no longer matches ΔF.
        var broken = exact.Records.Select(r => r.Index == 1 ? r with { Distortion = exact.Records[0].Distortion * 1.3 } : r);
        var report = IdentityCheck.Grid(new EquilibriumSurface(broken).Points);
        Assert.True(report.ConcavityViolations >= 1);
        Assert.True(report.EnvelopeLambda > 0.01, $"envelope residual {report.EnvelopeLambda}");
    }

    [Fact]
    public void TheSurfaceForwardersGiveTheIdentityChecksResults()
    {
        var surface = OracleSurface([0.5, 0.6], [1.0, 2.0]);
#pragma warning disable CS0618 // EquilibriumSurface.CheckIdentities and CheckConvexity, kept because the docs used them.
        Assert.Equal(IdentityCheck.Grid(surface.Points, 1e-9), surface.CheckIdentities(1e-9));
        Assert.Equal(IdentityCheck.Convexity(surface.Points, 1e-9), surface.CheckConvexity(1e-9));
#pragma warning restore CS0618
    }

    [Fact]
    public void TheGridCheckRejectsTwoPointsAtOneMultiplierPair()
    {
        var p = new SurfacePoint(1, 1, 1, 1, 1);
        var error = Assert.Throws<ArgumentException>(() => IdentityCheck.Grid([p, new SurfacePoint(1, 1, 2, 1, 1)]));
        Assert.Equal("points", error.ParamName);
        Assert.Throws<ArgumentException>(() => IdentityCheck.Grid([p]));
    }
}
