using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;

namespace FreeEnergy.Core.Tests.Diagnostics;

/// <summary>The one guard helper: parameter name, actual value and the expected range in every message.</summary>
public class GuardTests
{
    [Fact]
    public void ChecksNameTheParameterTheValueAndWhatWasExpected()
    {
        double rate = -2;
        var positive = Assert.Throws<ArgumentOutOfRangeException>(() => Guard.Positive(rate, "The learning rate"));
        Assert.Equal("rate", positive.ParamName);
        Assert.Equal(-2.0, positive.ActualValue);
        Assert.StartsWith("The learning rate must be finite and > 0.", positive.Message, StringComparison.Ordinal);

        double beta = 1;
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => Guard.InRange(beta, 0, 1, true, false, "β₁", "Use 0.9 for Adam's default."));
        Assert.StartsWith("β₁ must be in [0, 1). Use 0.9 for Adam's default.", range.Message, StringComparison.Ordinal);
        double epochs = double.NaN;
        Assert.StartsWith("The averaging must be finite and ≥ 0 (0: none).", Assert.Throws<ArgumentOutOfRangeException>(() => Guard.NonNegative(epochs, "The averaging", "(0: none)")).Message, StringComparison.Ordinal);
        Assert.Equal(double.PositiveInfinity, Assert.Throws<ArgumentOutOfRangeException>(() => Guard.Finite(double.PositiveInfinity, "x", "x")).ActualValue);
        Assert.Equal(3.0, Guard.Positive(3, "x"));
        Assert.Equal(0.0, Guard.NonNegative(0, "x"));
        Assert.Equal(0.5, Guard.InRange(0.5, 0, 1, false, false, "x"));
    }

    [Fact]
    public void TheDefaultMultipliersAreRejectedWithTheParametersName()
    {
        Multipliers start = default;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Guard.Valid(start));
        Assert.Equal("start", e.ParamName);
        Assert.Contains("not default", e.Message, StringComparison.Ordinal);
        Assert.Equal(new Multipliers(1, 0), Guard.Valid(new Multipliers(1, 0)));
    }

    [Fact]
    public void ProblemListCollectsEveryProblemAndThrowsThemTogether()
    {
        var list = new ProblemList().Positive(0, "A").NonNegative(-1, "B").AtLeast(0, 1, "C").InRange(2, 0, 1, true, true, "D").Nested(["E must be set."], "Inner").Nested(null, "Missing");
        Assert.Equal(["A must be finite and > 0; it is 0.", "B must be finite and ≥ 0; it is -1.", "C must be ≥ 1; it is 0.", "D must be in [0, 1]; it is 2.", "Inner.E must be set.", "Missing must not be null."], list.Problems);
        var e = Assert.Throws<FreeEnergyConfigurationException>(list.ThrowIfAny);
        Assert.Equal(6, e.Problems.Count);
        new ProblemList().Positive(1, "A").ThrowIfAny();
    }
}
