using FreeEnergy.Core.Processes;

namespace FreeEnergy.Core.Tests.Processes;

/// <summary>The governor's rule: plain arithmetic, no torch.</summary>
public sealed class RampGovernorTests
{
    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.019, 1.0)]
    [InlineData(-0.02, 1.0)] // at the tolerance: full speed
    [InlineData(0.03, 0.5)] // half way to twice the tolerance
    [InlineData(-0.03, 0.5)]
    [InlineData(0.04, 0.0)]
    [InlineData(0.5, 0.0)] // far outside: the ramp waits
    public void OutsideTheBandTheRampSlowsLinearlyToAStopAtTwiceTheTolerance(double drift, double speed)
    {
        // Moving on widens the gap: the held quantity changes with the sign of the drift.
        Assert.Equal(speed, RampGovernor.Speed(drift, 0.02, along: Math.Sign(drift) * 0.1 + (drift == 0 ? 0.1 : 0)), 12);
    }

    [Theory]
    [InlineData(0.5, -0.1)]
    [InlineData(-0.5, 0.1)]
    public void WhenMovingOnNarrowsTheGapTheRampKeepsItsSpeed(double drift, double along) =>
        Assert.Equal(1, RampGovernor.Speed(drift, 0.02, along));

    [Theory]
    [InlineData(0.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void AnUnknownDirectionCountsAsWidening(double along)
    {
        Assert.Equal(0, RampGovernor.Speed(0.05, 0.02, along));
        Assert.Equal(0.5, RampGovernor.Speed(-0.03, 0.02, along), 12);
    }

    [Fact]
    public void ANonFiniteDriftDoesNotStopTheRamp() => Assert.Equal(1, RampGovernor.Speed(double.NaN, 0.02, 1));

    [Theory]
    [InlineData(-1)]
    [InlineData(10001)]
    public void ABadBoundOnGovernedChecksIsOneClearProblem(int checks)
    {
        var problems = (RampProtocol.Default with { MaxGovernedChecks = checks }).Problems();
        Assert.Equal($"MaxGovernedChecks must be in [0, 10000]; it is {checks}.", Assert.Single(problems));
    }
}
