using TorchSharp;

namespace FreeEnergy.Datasets.Tests;

public sealed class CifarReaderTests
{
    [Fact]
    public void LoadsRecordsAsChannelPlanes()
    {
        using var dir = new TempDirectory();
        byte[] pixels = TestFiles.Pixels(3, 3 * 32, 32, seed: 7);
        byte[] labels = [9, 0, 4];
        string path = dir.Write("test_batch.bin", TestFiles.CifarRecords(labels, pixels));

        using var data = Cifar10.LoadBatches([path]);

        Assert.Equal(new long[] { 3, 3, 32, 32 }, data.Inputs.shape);
        Assert.Equal(pixels.Select(p => p / 255f).ToArray(), data.Inputs.data<float>().ToArray());
        Assert.Equal(new long[] { 9, 0, 4 }, data.Labels.data<long>().ToArray());
        // Red plane first: element [1, 0, 0, 0] is the second record's first pixel byte, [1, 2, 31, 31] its last.
        Assert.Equal(pixels[3072] / 255f, data.Inputs[1, 0, 0, 0].item<float>());
        Assert.Equal(pixels[2 * 3072 - 1] / 255f, data.Inputs[1, 2, 31, 31].item<float>());
    }

    [Fact]
    public void LoadsSplitsFromTheBatchesFolderOrItsParent()
    {
        using var dir = new TempDirectory();
        string batches = Path.Combine(dir.Path, Cifar10.BatchesFolder);
        Directory.CreateDirectory(batches);
        for (int i = 1; i <= 5; i++)
        {
            File.WriteAllBytes(Path.Combine(batches, $"data_batch_{i}.bin"), TestFiles.CifarRecords([(byte)i, (byte)(i + 1)], TestFiles.Pixels(2, 96, 32, i)));
        }

        // gzip is detected by magic bytes for CIFAR too.
        File.WriteAllBytes(Path.Combine(batches, "test_batch.bin"), TestFiles.Gzip(TestFiles.CifarRecords([0], TestFiles.Pixels(1, 96, 32, 9))));

        using var training = Cifar10.Load(dir.Path, DatasetSplit.Training);
        using var test = Cifar10.Load(batches, DatasetSplit.Test);
        using var all = Cifar10.LoadAll(dir.Path);

        Assert.Equal(10, training.Count);
        Assert.Equal(new long[] { 1, 2, 2, 3, 3, 4, 4, 5, 5, 6 }, training.Labels.data<long>().ToArray());
        Assert.Equal(1, test.Count);
        Assert.Equal(11, all.Count);
        Assert.Equal(0, all.Labels[10].item<long>());
        Assert.Equal(torch.ScalarType.Float32, all.Inputs.dtype);
    }
}
