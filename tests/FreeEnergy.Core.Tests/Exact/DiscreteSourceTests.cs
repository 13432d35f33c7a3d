using FreeEnergy.Core.Exact;

namespace FreeEnergy.Core.Tests.Exact;

public class DiscreteSourceTests
{
    [Fact]
    public void EntropiesOfAKnownJoint()
    {
        // x uniform on 4 values; y = x mod 2 exactly: H(x) = ln 4, H(y) = ln 2, H(y|x) = 0, I(x;y) = ln 2.
        var source = new DiscreteSource(new double[,] { { 0.25, 0 }, { 0, 0.25 }, { 0.25, 0 }, { 0, 0.25 } });
        Assert.Equal(4, source.InputCount);
        Assert.Equal(2, source.LabelCount);
        Assert.Equal(Math.Log(4), source.InputEntropy, 15);
        Assert.Equal(Math.Log(2), source.LabelEntropy, 15);
        Assert.Equal(0, source.LabelGivenInputEntropy, 15);
        Assert.Equal(Math.Log(2), source.MutualInformation, 15);
        Assert.Equal(1.0, source.LabelGivenInput[1, 1]);
        Assert.Equal(0.25, source.InputMarginal[2]);
        Assert.Equal(0.5, source.LabelMarginal[0]);
    }

    [Fact]
    public void IndependentJointHasNoMutualInformation()
    {
        var source = new DiscreteSource(new double[,] { { 0.12, 0.28 }, { 0.18, 0.42 } });
        Assert.Equal(0, source.MutualInformation, 12);
        Assert.Equal(source.LabelEntropy, source.LabelGivenInputEntropy, 12);
    }

    [Fact]
    public void NormalizeRescalesWeightsAndRandomIsReproducible()
    {
        var source = DiscreteSource.Normalize(new double[,] { { 1, 3 }, { 2, 2 } });
        Assert.Equal(0.125, source.Probability(0, 0), 15);
        Assert.Equal(0.5, source.InputProbability(1), 15);

        var a = DiscreteSource.Random(7, 3, seed: 11);
        var b = DiscreteSource.Random(7, 3, seed: 11);
        Assert.Equal(a.Joint, b.Joint);
        Assert.Equal(1.0, a.Joint.Enumerate().Sum(), 12);
        Assert.NotEqual(a.Joint, DiscreteSource.Random(7, 3, seed: 12).Joint);
    }

    [Fact]
    public void ExposedTablesAreCopies()
    {
        var source = DiscreteSource.Random(3, 2, seed: 1);
        var joint = source.Joint;
        joint[0, 0] = 42;
        Assert.NotEqual(42, source.Probability(0, 0));
    }

    [Theory]
    [InlineData(-0.1, "joint[0, 1] = -0.1")]
    [InlineData(double.NaN, "joint[0, 1] = NaN")]
    [InlineData(double.PositiveInfinity, "joint[0, 1] = Infinity")]
    public void RejectsEntriesThatAreNotProbabilities(double bad, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => new DiscreteSource(new double[,] { { 0.5, bad }, { 0.3, 0.3 } }));
        Assert.Equal("joint", ex.ParamName);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("finite and ≥ 0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsAWrongSumAndPointsToNormalize()
    {
        var ex = Assert.Throws<ArgumentException>(() => new DiscreteSource(new double[,] { { 0.5, 0.25 }, { 0.125, 0.0625 } }));
        Assert.Equal("joint", ex.ParamName);
        Assert.Contains("sum to 1 within 1E-09; got 0.9375", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Normalize", ex.Message, StringComparison.Ordinal);

        // Within the tolerance is accepted (and renormalised).
        var close = new DiscreteSource(new double[,] { { 0.5 + 4e-10, 0.5 } });
        Assert.Equal(1.0, close.Probability(0, 0) + close.Probability(0, 1), 15);
    }

    [Fact]
    public void RejectsAnInputOfProbabilityZeroButAllowsAnUnusedLabel()
    {
        var ex = Assert.Throws<ArgumentException>(() => new DiscreteSource(new double[,] { { 0.5, 0.5 }, { 0, 0 } }));
        Assert.Equal("joint", ex.ParamName);
        Assert.Contains("row x = 1", ex.Message, StringComparison.Ordinal);

        var unusedLabel = new DiscreteSource(new double[,] { { 0.5, 0 }, { 0.5, 0 } });
        Assert.Equal(0, unusedLabel.LabelEntropy);
    }

    [Fact]
    public void RejectsEmptyNullAndDegenerateWeights()
    {
        Assert.Equal("joint", Assert.Throws<ArgumentException>(() => new DiscreteSource(new double[0, 2])).ParamName);
        Assert.Equal("joint", Assert.Throws<ArgumentNullException>(() => new DiscreteSource((double[,])null!)).ParamName);
        var ex = Assert.Throws<ArgumentException>(() => DiscreteSource.Normalize(new double[,] { { 0, 0 } }));
        Assert.Equal("weights", ex.ParamName);
        Assert.Contains("positive sum; got 0", ex.Message, StringComparison.Ordinal);
        Assert.Equal("inputCount", Assert.Throws<ArgumentOutOfRangeException>(() => DiscreteSource.Random(0, 2, 1)).ParamName);
        Assert.Equal("labelCount", Assert.Throws<ArgumentOutOfRangeException>(() => DiscreteSource.Random(2, 0, 1)).ParamName);
    }
}
