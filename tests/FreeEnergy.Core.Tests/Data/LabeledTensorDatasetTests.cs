using FreeEnergy.Core.Data;
using FreeEnergy.Core.Diagnostics;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Tests.Data;

public class LabeledTensorDatasetTests
{
    [Fact]
    public void BadInputIsRejectedWithExpectedAndActualValues()
    {
        using var scope = NewDisposeScope();
        long before = FreeEnergyRuntime.LiveTensorCount;
        var empty = Assert.Throws<ArgumentException>(() => new LabeledTensorDataset(zeros(0, 3), zeros(0, dtype: ScalarType.Int64)));
        Assert.Contains("empty", empty.Message, StringComparison.Ordinal);
        var counts = Assert.Throws<ArgumentException>(() => new LabeledTensorDataset(zeros(4, 3), zeros(5, dtype: ScalarType.Int64)));
        Assert.Contains("4 examples but labels have 5", counts.Message, StringComparison.Ordinal);
        var flat = Assert.Throws<ArgumentException>(() => new LabeledTensorDataset(zeros(4), zeros(4, dtype: ScalarType.Int64)));
        Assert.Contains("[4]", flat.Message, StringComparison.Ordinal);
        var nan = Assert.Throws<ArgumentException>(() => new LabeledTensorDataset(tensor(new float[,] { { 0, 1 }, { float.NaN, 2 } }), zeros(2, dtype: ScalarType.Int64)));
        Assert.Contains("example 1", nan.Message, StringComparison.Ordinal);
        var negative = Assert.Throws<ArgumentException>(() => new LabeledTensorDataset(zeros(2, 2), tensor(new long[] { 0, -3 })));
        Assert.Contains("-3", negative.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new LabeledTensorDataset(zeros(2, 2), zeros(2)));
        Assert.Throws<ArgumentException>(() => new LabeledTensorDataset(zeros(new long[] { 2, 2 }, dtype: ScalarType.Int32), zeros(2, dtype: ScalarType.Int64)));
        scope.DisposeEverything();
        Assert.Equal(before, FreeEnergyRuntime.LiveTensorCount);
    }

    [Fact]
    public void SplitIsSeededAndPartitionsTheExamples()
    {
        using var scope = NewDisposeScope();
        using var data = new LabeledTensorDataset(arange(100, dtype: ScalarType.Float32).reshape(100, 1), arange(100, dtype: ScalarType.Int64) % 10);
        var (trainA, evalA) = data.Split(0.25, seed: 3);
        var (trainB, evalB) = data.Split(0.25, seed: 3);
        var (_, evalC) = data.Split(0.25, seed: 4);
        using (trainA)
        using (evalA)
        using (trainB)
        using (evalB)
        using (evalC)
        {
            Assert.Equal(75, trainA.Count);
            Assert.Equal(25, evalA.Count);
            Assert.True(evalA.Inputs.allclose(evalB.Inputs, 0, 0));
            Assert.False(evalA.Inputs.allclose(evalC.Inputs, 0, 0));
            var all = cat([trainA.Inputs, evalA.Inputs]).flatten().sort().Values;
            Assert.True(all.allclose(arange(100, dtype: ScalarType.Float32), 0, 0));
            Assert.Equal(10, data.ClassCount);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => data.Split(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Split(0.001, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Subset([100]));
    }

    [Fact]
    public void BatchesCoverEveryExampleOnceInOrderOrShuffled()
    {
        using var scope = NewDisposeScope();
        using var data = new LabeledTensorDataset(arange(10, dtype: ScalarType.Float32).reshape(10, 1), zeros(10, dtype: ScalarType.Int64));
        var ordered = data.Batches(4).Select(b => b.Inputs.shape[0]).ToList();
        Assert.Equal([4L, 4L, 2L], ordered);
        using var generator = new Generator(1);
        var seen = data.Batches(3, generator).SelectMany(b => b.Inputs.flatten().data<float>().ToArray()).ToList();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (float)i), seen.Order());
        Assert.NotEqual(Enumerable.Range(0, 10).Select(i => (float)i), seen);
    }

    [Fact]
    public void TheDatasetOwnsItsTensors()
    {
        LabeledTensorDataset data;
        using (var scope = NewDisposeScope())
        {
            data = new LabeledTensorDataset(ones(3, 2), zeros(3, dtype: ScalarType.Int64));
        }

        using (data)
        {
            Assert.Equal(6f, data.Inputs.sum().item<float>());
        }

        Assert.Throws<ObjectDisposedException>(() => data.Inputs);
    }
}
