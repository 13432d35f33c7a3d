using FreeEnergy.Core.Diagnostics;

namespace FreeEnergy.Datasets.Tests;

public sealed class DatasetTasksTests
{
    [Fact]
    public void SelectClassesKeepsOriginalLabelsByDefault()
    {
        using var data = Synthetic.Cycling(30, 10);
        using var subset = data.SelectClasses([7, 5]);

        Assert.Equal(new long[] { 5, 7, 15, 17, 25, 27 }, Synthetic.Ids(subset));
        Assert.Equal(new long[] { 5, 7, 5, 7, 5, 7 }, Synthetic.Labels(subset));
        Assert.Equal(8, subset.ClassCount);
    }

    [Fact]
    public void SelectClassesCanRemapInTheGivenOrder()
    {
        using var data = Synthetic.Cycling(30, 10);
        using var subset = data.SelectClasses([7, 5], LabelMapping.Remap);

        Assert.Equal(new long[] { 5, 7, 15, 17, 25, 27 }, Synthetic.Ids(subset));
        Assert.Equal(new long[] { 1, 0, 1, 0, 1, 0 }, Synthetic.Labels(subset));
        Assert.Equal(2, subset.ClassCount);
    }

    [Fact]
    public void SplitClassesMakesSourceAndTargetTasks()
    {
        using var data = Synthetic.Cycling(100, 10);
        var (source, target) = data.SplitClasses([0, 1, 2, 3, 4], [5, 6, 7, 8, 9]);
        using (source)
        using (target)
        {
            Assert.Equal(50, source.Count);
            Assert.Equal(50, target.Count);
            Assert.All(Synthetic.Labels(source), l => Assert.InRange(l, 0, 4));
            Assert.All(Synthetic.Labels(target), l => Assert.InRange(l, 5, 9));
            Assert.Equal(10, target.ClassCount);
        }

        var (remappedSource, remappedTarget) = data.SplitClasses([0, 1, 2, 3, 4], [5, 6, 7, 8, 9], LabelMapping.Remap);
        using (remappedSource)
        using (remappedTarget)
        {
            Assert.All(Synthetic.Labels(remappedTarget), l => Assert.InRange(l, 0, 4));
            Assert.Equal(Synthetic.Labels(remappedTarget), Synthetic.Ids(remappedTarget).Select(i => i % 10 - 5));
        }
    }

    [Fact]
    public void ClassArgumentsAreValidated()
    {
        using var data = Synthetic.Cycling(20, 4);
        long before = FreeEnergyRuntime.LiveTensorCount;
        Assert.Throws<ArgumentException>("classes", () => data.SelectClasses([]));
        Assert.Throws<ArgumentException>("classes", () => data.SelectClasses([1, 1]));
        Assert.Throws<ArgumentException>("classes", () => data.SelectClasses([-1]));
        var none = Assert.Throws<ArgumentException>("classes", () => data.SelectClasses([8, 9]));
        Assert.Contains("[8, 9]", none.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>("targetClasses", () => data.SplitClasses([0, 1], [1, 2]));
        Assert.Throws<ArgumentException>("classes", () => data.SplitClasses([0, 1], [7]));
        Assert.Equal(before, FreeEnergyRuntime.LiveTensorCount);
    }

    [Fact]
    public void StratifiedSplitKeepsEachClassShareAndIsSeeded()
    {
        // Classes of sizes 40, 30, 20, 10.
        long[] labels = [.. Enumerable.Repeat(0L, 40), .. Enumerable.Repeat(1L, 30), .. Enumerable.Repeat(2L, 20), .. Enumerable.Repeat(3L, 10)];
        using var data = Synthetic.Dataset(labels);
        var (training, evaluation) = data.StratifiedSplit(0.25, seed: 3);
        var (training2, evaluation2) = data.StratifiedSplit(0.25, seed: 3);
        var (training3, evaluation3) = data.StratifiedSplit(0.25, seed: 4);
        using (training)
        using (evaluation)
        using (training2)
        using (evaluation2)
        using (training3)
        using (evaluation3)
        {
            Assert.Equal(new long[] { 10, 8, 5, 3 }, evaluation.ClassCounts()); // round(n / 4), halves away from zero
            Assert.Equal(new long[] { 30, 22, 15, 7 }, training.ClassCounts());
            long[] trainIds = Synthetic.Ids(training);
            long[] evalIds = Synthetic.Ids(evaluation);
            Assert.Empty(trainIds.Intersect(evalIds));
            Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), trainIds.Concat(evalIds).Order());
            Assert.Equal(trainIds.Order(), trainIds); // original order kept
            Assert.Equal(labels[evalIds[0]], Synthetic.Labels(evaluation)[0]);
            Assert.Equal(evalIds, Synthetic.Ids(evaluation2));
            Assert.NotEqual(evalIds, Synthetic.Ids(evaluation3));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => data.StratifiedSplit(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.StratifiedSplit(1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.StratifiedSplit(0.001, 1));
    }

    [Fact]
    public void StratifiedSubsetHasExactCountAndProportionalClasses()
    {
        long[] labels = [.. Enumerable.Repeat(0L, 50), .. Enumerable.Repeat(1L, 30), .. Enumerable.Repeat(2L, 20)];
        using var data = Synthetic.Dataset(labels);
        using var subset = data.StratifiedSubset(10, seed: 1);
        using var again = data.StratifiedSubset(10, seed: 1);
        using var odd = data.StratifiedSubset(7, seed: 1); // quotas 3.5, 2.1, 1.4 → 4, 2, 1

        Assert.Equal(new long[] { 5, 3, 2 }, subset.ClassCounts());
        Assert.Equal(Synthetic.Ids(subset), Synthetic.Ids(again));
        Assert.Equal(new long[] { 4, 2, 1 }, odd.ClassCounts());
        Assert.Throws<ArgumentOutOfRangeException>(() => data.StratifiedSubset(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.StratifiedSubset(101, 1));
    }

    [Fact]
    public void ResultsAreIndependentCopies()
    {
        var data = Synthetic.Cycling(20, 2);
        using var subset = data.SelectClasses([1]);
        var (training, evaluation) = data.StratifiedSplit(0.5, 1);
        data.Dispose();
        using (training)
        using (evaluation)
        {
            Assert.Equal(10, subset.Count);
            Assert.Equal(Enumerable.Range(0, 10).Select(i => 2L * i + 1), Synthetic.Ids(subset));
            Assert.Equal(10, training.Count + evaluation.Count - 10);
        }
    }
}
