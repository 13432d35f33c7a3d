using FreeEnergy.Core.Derivatives;
using FreeEnergy.Core.Identities;
using FreeEnergy.Core.Surface;

namespace FreeEnergy.Core.Tests.Surface;

public class SurfaceValidationTests
{
    private static SurfacePoint At(double lambda, double gamma) => new(lambda, gamma, 1, 1, 1);

    [Theory]
    [InlineData(0.0, 1.0, "lambda", "got 0")]
    [InlineData(double.NaN, 1.0, "lambda", "got NaN")]
    [InlineData(1.0, -1.0, "gamma", "got -1")]
    public void SurfacePointRejectsBadMultipliers(double lambda, double gamma, string parameter, string actual)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SurfacePoint(lambda, gamma, 0, 0, 0));
        Assert.Equal(parameter, ex.ParamName);
        Assert.Contains(actual, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SurfacePointAndDerivativesRejectNonFiniteValues()
    {
        Assert.Equal("distortion", Assert.Throws<ArgumentOutOfRangeException>(() => new SurfacePoint(1, 1, 0, double.NaN, 0)).ParamName);
        Assert.Equal("cGamma", Assert.Throws<ArgumentOutOfRangeException>(() => new SurfaceDerivatives(0, 0, 0, double.PositiveInfinity)).ParamName);
        Assert.Equal("DGammaUncertainty", Assert.Throws<ArgumentOutOfRangeException>(() => new SurfaceDerivatives(0, 0, 0, 0) { DGammaUncertainty = -1 }).ParamName);
    }

    [Fact]
    public void SurfacePointComputesTheFreeEnergy()
    {
        var p = new SurfacePoint(2, 3, 1, 0.5, 0.25);
        Assert.Equal(2.75, p.FreeEnergy, 15);
        Assert.Equal(1 + 0.5 + 0.25, p.Objective(1, 1), 15);
    }

    [Fact]
    public void StencilRejectsMisplacedPoints()
    {
        var ex = Assert.Throws<ArgumentException>(() => new CentralDifferenceStencil(At(1, 1), At(0.9, 1), At(1.2, 1), At(1, 0.9), At(1, 1.1)));
        Assert.Equal("lambdaPlus", ex.ParamName);
        Assert.Contains("symmetrically", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<ArgumentException>(() => new CentralDifferenceStencil(At(1, 1), At(0.9, 1.01), At(1.1, 1), At(1, 0.9), At(1, 1.1)));
        Assert.Equal("lambdaMinus", ex.ParamName);
        Assert.Contains("center's γ = 1; got 1.01", ex.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => new CentralDifferenceStencil(At(1, 1), At(1, 1), At(1, 1), At(1, 0.9), At(1, 1.1)));
    }

    [Fact]
    public void EvaluateRejectsStepsThatLeaveTheDomainAndCallbacksThatAnswerElsewhere()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => IdentityCheck.AtPoint(1, 0, 1e-3, 1e-3, At));
        Assert.Equal("gamma", ex.ParamName);
        Assert.Contains("γ − h_γ must be ≥ 0", ex.Message, StringComparison.Ordinal);
        Assert.Equal("lambda", Assert.Throws<ArgumentOutOfRangeException>(() => IdentityCheck.AtPoint(1e-4, 1, 1e-3, 1e-3, At)).ParamName);
        Assert.Equal("lambdaStep", Assert.Throws<ArgumentOutOfRangeException>(() => IdentityCheck.AtPoint(1, 1, 0, 1e-3, At)).ParamName);
        Assert.Equal("gammaStep", Assert.Throws<ArgumentOutOfRangeException>(() => IdentityCheck.AtPoint(1, 1, 1e-3, double.NaN, At)).ParamName);

        var wrong = Assert.Throws<ArgumentException>(() => IdentityCheck.AtPoint(1, 1, 1e-3, 1e-3, (l, g) => At(l, 1)));
        Assert.Equal("evaluate", wrong.ParamName);
        Assert.Contains("returned a point at", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConvexityNeedsTwoPointsAndAValidTolerance()
    {
        var ex = Assert.Throws<ArgumentException>(() => IdentityCheck.Convexity([At(1, 1)]));
        Assert.Equal("points", ex.ParamName);
        Assert.Contains("at least 2 points; got 1", ex.Message, StringComparison.Ordinal);
        Assert.Equal("tolerance", Assert.Throws<ArgumentOutOfRangeException>(() => IdentityCheck.Convexity([At(1, 1), At(2, 1)], -1)).ParamName);
        Assert.Throws<ArgumentNullException>(() => IdentityCheck.Convexity([At(1, 1), null!]));
    }

    [Fact]
    public void MergingTwoPlansSaysDifferentPlans()
    {
        // Issue 17: the message said "different results" when the parts came from two plans.
        SurfaceRecord Point(string plan, double rate) => new() { Kind = SurfaceRecord.KindName, Plan = plan, Index = 0, Lambda = 1, Gamma = 0, Rate = rate, Distortion = 1, Classification = 1 };
        var ex = Assert.Throws<InvalidDataException>(() => EquilibriumSurface.Merge([new EquilibriumSurface([Point("aaaa", 1)]), new EquilibriumSurface([Point("bbbb", 2)])]));
        Assert.Contains("different sweep plans (aaaa, bbbb)", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("different results", ex.Message, StringComparison.Ordinal);
    }
}
