using FreeEnergy.Core.Data;
using static TorchSharp.torch;

namespace FreeEnergy.Datasets.Tests;

/// <summary>Small in-memory datasets whose inputs identify the example: every value of example i is i.</summary>
internal static class Synthetic
{
    public static LabeledTensorDataset Dataset(params long[] labels)
    {
        using var scope = NewDisposeScope();
        var ids = arange(labels.Length, dtype: ScalarType.Float32).reshape(-1, 1, 1, 1).expand(-1, 1, 2, 2);
        return new LabeledTensorDataset(ids, tensor(labels));
    }

    /// <summary>Labels i mod classes for i in [0, count).</summary>
    public static LabeledTensorDataset Cycling(int count, int classes) =>
        Dataset(Enumerable.Range(0, count).Select(i => (long)(i % classes)).ToArray());

    /// <summary>The example ids of a dataset built by <see cref="Dataset"/> (or a subset of one).</summary>
    public static long[] Ids(LabeledTensorDataset data) => Ids(data.Inputs);

    public static long[] Ids(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        return inputs.reshape(inputs.shape[0], -1)[.., 0].to_type(ScalarType.Int64).data<long>().ToArray();
    }

    public static long[] Labels(LabeledTensorDataset data) => data.Labels.data<long>().ToArray();
}
