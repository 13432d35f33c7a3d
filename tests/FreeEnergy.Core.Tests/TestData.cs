using FreeEnergy.Core.Data;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Tests;

/// <summary>Small synthetic datasets for tests.</summary>
internal static class TestData
{
    /// <summary>x ~ N(0, diag(s²)) with a single class label 0.</summary>
    public static LabeledTensorDataset GaussianSource(double[] scales, int count, ulong seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(seed);
        var x = randn([count, scales.Length], generator: generator) * tensor(scales, dtype: ScalarType.Float32);
        return new LabeledTensorDataset(x, zeros(count, dtype: ScalarType.Int64));
    }

    /// <summary>
    /// Binary "images" of shape [1, 4, 4] from <paramref name="classes"/> prototypes with pixels flipped at
    /// random (probability 0.1); labels are the prototype index.
    /// </summary>
    public static LabeledTensorDataset Prototypes(int count, int classes, ulong seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(seed);
        var prototypes = rand([classes, 1, 4, 4], generator: generator).gt(0.5).to(ScalarType.Float32);
        var labels = randint(classes, [count], generator: generator);
        var flips = rand([count, 1, 4, 4], generator: generator).lt(0.1).to(ScalarType.Float32);
        var x = (prototypes.index_select(0, labels) - flips).abs();
        return new LabeledTensorDataset(x, labels);
    }

    /// <summary>The examples with labels below <paramref name="below"/> and the rest: a source and a target task.</summary>
    public static (LabeledTensorDataset Source, LabeledTensorDataset Target) SplitClasses(LabeledTensorDataset data, int below)
    {
        using var scope = NewDisposeScope();
        var low = data.Labels.lt(below).nonzero().squeeze(1);
        var high = data.Labels.ge(below).nonzero().squeeze(1);
        var source = new LabeledTensorDataset(data.Inputs.index_select(0, low), data.Labels.index_select(0, low));
        return (source, new LabeledTensorDataset(data.Inputs.index_select(0, high), data.Labels.index_select(0, high)));
    }
}
