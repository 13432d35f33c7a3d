using FreeEnergy.Core.Data;
using FreeEnergy.Core.Diagnostics;
using static TorchSharp.torch;

namespace FreeEnergy.Datasets.Tests;

public sealed class TaskMixtureTests
{
    [Fact]
    public void HoldsTasksRatioAndWeights()
    {
        using var source = Synthetic.Cycling(10, 5);
        using var target = Synthetic.Cycling(25, 5);
        var mixture = new TaskMixture(source, target, 0.25);
        var moved = mixture.WithRatio(0.75);

        Assert.Same(source, mixture.Source);
        Assert.Same(target, mixture.Target);
        Assert.Equal(0.25, mixture.Ratio);
        Assert.Equal(0.75, mixture.SourceWeight);
        Assert.Equal(0.25, mixture.TargetWeight);
        Assert.Equal(0.75, moved.Ratio);
        Assert.Equal(0.25, mixture.Ratio);
        Assert.Same(target, moved.Target);
        Assert.Equal(0, new TaskMixture(source, target, 0).TargetWeight);
        Assert.Equal(0, new TaskMixture(source, target, 1).SourceWeight);
        Assert.Throws<ArgumentOutOfRangeException>("ratio", () => mixture.WithRatio(-0.01));
        Assert.Throws<ArgumentOutOfRangeException>("ratio", () => mixture.WithRatio(1.01));
        Assert.Throws<ArgumentOutOfRangeException>("ratio", () => mixture.WithRatio(double.NaN));
        Assert.Throws<ArgumentNullException>("source", () => new TaskMixture(null!, target, 0.5));
    }

    [Fact]
    public void RejectsTasksWithDifferentInputShapes()
    {
        using var source = Synthetic.Cycling(10, 5);
        using var inputs = zeros(4, 3);
        using var labels = zeros(4, dtype: ScalarType.Int64);
        using var flat = new LabeledTensorDataset(inputs, labels);
        var ex = Assert.Throws<ArgumentException>("target", () => new TaskMixture(source, flat, 0.5));
        Assert.Contains("[1, 2, 2]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[3]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEpochRunsThroughTheLargerTaskOnceWhileTheSmallerCycles()
    {
        using var source = Synthetic.Cycling(10, 5);
        using var target = Synthetic.Cycling(25, 5);
        var mixture = new TaskMixture(source, target, 0.5);
        using var shuffle = new Generator(7);
        using var scope = NewDisposeScope();

        var sourceIds = new List<long>();
        var targetIds = new List<long>();
        var sizes = new List<long>();
        foreach (var (sx, sy, tx, ty) in mixture.PairedBatches(4, shuffle))
        {
            Assert.Equal(sx.shape[0], tx.shape[0]);
            Assert.Equal(sx.shape[0], sy.shape[0]);
            Assert.Equal(tx.shape[0], ty.shape[0]);
            long[] ids = Synthetic.Ids(sx);
            Assert.Equal(ids.Select(i => i % 5), sy.data<long>().ToArray()); // labels travel with inputs
            sourceIds.AddRange(ids);
            targetIds.AddRange(Synthetic.Ids(tx));
            sizes.Add(sx.shape[0]);
        }

        Assert.Equal(7, mixture.StepsPerEpoch(4));
        Assert.Equal(new long[] { 4, 4, 4, 4, 4, 4, 1 }, sizes);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => (long)i), targetIds.Order()); // each target example once
        Assert.NotEqual(targetIds.Order(), targetIds); // shuffled
        Assert.Equal(25, sourceIds.Count);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), sourceIds.Take(10).Order()); // first cycle
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), sourceIds.Skip(10).Take(10).Order()); // reshuffled second cycle
        Assert.NotEqual(sourceIds.Take(10), sourceIds.Skip(10).Take(10));
    }

    [Fact]
    public void SameGeneratorStateGivesTheSameEpochsAndEachEpochIsReshuffled()
    {
        using var source = Synthetic.Cycling(12, 3);
        using var target = Synthetic.Cycling(9, 3);
        var mixture = new TaskMixture(source, target, 0.3);

        List<long[]> Epoch(Generator g)
        {
            using var scope = NewDisposeScope();
            return mixture.PairedBatches(5, g).Select(b => Synthetic.Ids(b.SourceInputs).Concat(Synthetic.Ids(b.TargetInputs)).ToArray()).ToList();
        }

        using var a = new Generator(11);
        using var b = new Generator(11);
        var a1 = Epoch(a);
        var a2 = Epoch(a);
        var b1 = Epoch(b);
        Assert.Equal(a1, b1);
        Assert.NotEqual(a1, a2);
        Assert.Equal(3, a1.Count);
    }

    [Fact]
    public void ATaskSmallerThanABatchGivesAllItsExamplesOnce()
    {
        using var source = Synthetic.Cycling(3, 3);
        using var target = Synthetic.Cycling(20, 4);
        var mixture = new TaskMixture(source, target, 0.5);
        using var shuffle = new Generator(1);
        using var scope = NewDisposeScope();

        var batches = mixture.PairedBatches(8, shuffle).Select(b => (Source: Synthetic.Ids(b.SourceInputs), TargetSize: b.TargetInputs.shape[0])).ToList();

        Assert.Equal(3, batches.Count);
        Assert.All(batches, b => Assert.Equal(new long[] { 0, 1, 2 }, b.Source.Order()));
        Assert.Equal(new long[] { 8, 8, 4 }, batches.Select(b => b.TargetSize));
    }

    [Fact]
    public void DropLastDropsTheIncompleteStep()
    {
        using var source = Synthetic.Cycling(10, 5);
        using var target = Synthetic.Cycling(25, 5);
        var mixture = new TaskMixture(source, target, 0.5);
        using var shuffle = new Generator(1);
        using var scope = NewDisposeScope();

        Assert.Equal(6, mixture.StepsPerEpoch(4, dropLast: true));
        Assert.All(mixture.PairedBatches(4, shuffle, dropLast: true), b => Assert.Equal(4, b.TargetInputs.shape[0]));
        Assert.Equal(6, mixture.PairedBatches(4, shuffle, dropLast: true).Count());
        Assert.Throws<ArgumentOutOfRangeException>("batchSize", () => mixture.PairedBatches(26, shuffle, dropLast: true));
        Assert.Throws<ArgumentOutOfRangeException>("batchSize", () => mixture.PairedBatches(0, shuffle));
        Assert.Throws<ArgumentNullException>("shuffle", () => mixture.PairedBatches(4, null!));
    }

    [Fact]
    public void APairIsDisposedWhenTheEnumerationMovesOn()
    {
        using var source = Synthetic.Cycling(10, 5);
        using var target = Synthetic.Cycling(7, 5);
        var mixture = new TaskMixture(source, target, 0.5);
        using var shuffle = new Generator(3);
        using var enumerator = mixture.PairedBatches(4, shuffle).GetEnumerator();
        Assert.True(enumerator.MoveNext());
        var first = enumerator.Current;
        Assert.Equal(4, first.SourceInputs.shape[0]);
        Assert.True(enumerator.MoveNext());
        Assert.True(first.SourceInputs.IsInvalid);
        Assert.True(first.TargetLabels.IsInvalid);
        Assert.False(enumerator.Current.SourceInputs.IsInvalid);
    }

    [Fact]
    public void NothingLeaks()
    {
        using var source = Synthetic.Cycling(10, 5);
        using var target = Synthetic.Cycling(7, 5);
        var mixture = new TaskMixture(source, target, 0.5);
        using var shuffle = new Generator(3);
        long before = FreeEnergyRuntime.LiveTensorCount;
        for (int epoch = 0; epoch < 3; epoch++)
        {
            using (NewDisposeScope())
            {
                foreach (var batch in mixture.PairedBatches(3, shuffle))
                {
                    using var step = NewDisposeScope();
                    var loss = batch.SourceInputs.mean().mul(mixture.SourceWeight).add(batch.TargetInputs.mean().mul(mixture.TargetWeight));
                    Assert.True(loss.item<float>() >= 0);
                }
            }

            // Leaving an epoch early disposes its permutations too.
            using (NewDisposeScope())
            {
                _ = mixture.PairedBatches(3, shuffle).First();
            }
        }

        Assert.Equal(before, FreeEnergyRuntime.LiveTensorCount);
    }
}
