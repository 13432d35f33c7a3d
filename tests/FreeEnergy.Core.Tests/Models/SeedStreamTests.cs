using FreeEnergy.Core.Internal;

namespace FreeEnergy.Core.Tests.Models;

/// <summary>
/// The seed rules are the reproducibility promise and records on disk depend on them: every derived seed equals the
/// formula it replaced (written out here as it stood in the five files before issue 15), for ordinary and extreme seeds.
/// </summary>
public class SeedStreamTests
{
    public static TheoryData<long> Seeds => new([0, 1, 7, 42, -1, -123_456_789, long.MaxValue, long.MinValue]);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void EveryDerivedSeedEqualsTheFormulaItReplaced(long seed)
    {
        var s = new SeedStream(seed);
        Assert.Equal(unchecked((ulong)seed), s.Weights);
        Assert.Equal(unchecked((ulong)seed) + 1, s.TrainingNoise);
        Assert.Equal(unchecked((ulong)seed) + 4, s.PolishNoise);
        Assert.Equal(unchecked((ulong)seed ^ 0x9E3779B97F4A7C15UL), s.EvaluationNoise);
        Assert.Equal(unchecked((ulong)seed ^ 0x9E3779B97F4A7C15UL), s.EncoderFluctuationNoise);
        Assert.Equal(unchecked((seed * 31) + 17), s.ImplicitDerivativeNoise);
        foreach (long? shuffle in new long?[] { null, 5, -5, long.MaxValue })
        {
            Assert.Equal(unchecked((ulong)(shuffle ?? seed)) + 2, s.Shuffling(shuffle));
            Assert.Equal(unchecked((ulong)(shuffle ?? seed)) + 3, s.PolishOrder(shuffle));
            Assert.Equal(unchecked((long)(shuffle ?? seed) + 3), unchecked((long)s.PolishOrder(shuffle)));
        }

        foreach (var (index, round) in new[] { (0, 0), (3, 0), (17, 1), (int.MaxValue, 5) })
        {
            Assert.Equal(unchecked(((ulong)seed * 1_000_003UL) + (ulong)index + ((ulong)round * 0x9E3779B97F4AUL)), s.PointNoise(index, round));
        }
    }

    [Fact]
    public void ConsecutivePointsAndRoundsGetDifferentStreams()
    {
        var s = new SeedStream(1);
        ulong[] seeds = [s.PointNoise(0, 0), s.PointNoise(1, 0), s.PointNoise(0, 1), s.TrainingNoise, s.Shuffling(null), s.PolishOrder(null), s.PolishNoise, s.EvaluationNoise];
        Assert.Equal(seeds.Length, seeds.Distinct().Count());
    }
}
