namespace FreeEnergy.Datasets;

/// <summary>One of the two official splits of a dataset.</summary>
public enum DatasetSplit
{
    /// <summary>The training split (IDX: <c>train-*</c> files; CIFAR-10: <c>data_batch_1.bin</c> … <c>data_batch_5.bin</c>).</summary>
    Training,

    /// <summary>The test split (IDX: <c>t10k-*</c> files; CIFAR-10: <c>test_batch.bin</c>).</summary>
    Test,
}
