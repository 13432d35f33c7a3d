using FreeEnergy.Core.Diagnostics;
using TorchSharp;

namespace FreeEnergy.Datasets.Tests;

public sealed class IdxReaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoadsImagesAndLabelsExactly(bool gzip)
    {
        using var dir = new TempDirectory();
        byte[] pixels = TestFiles.Pixels(10, 28, 28, seed: 1);
        byte[] labels = TestFiles.Labels(10, first: 3);
        TestFiles.WriteIdxSplit(dir.Path, "t10k", pixels, labels, 28, 28, gzip);
        string suffix = gzip ? ".gz" : string.Empty;

        using var data = IdxDataset.Load(dir.File("t10k-images-idx3-ubyte" + suffix), dir.File("t10k-labels-idx1-ubyte" + suffix));

        Assert.Equal(new long[] { 10, 1, 28, 28 }, data.Inputs.shape);
        Assert.Equal(torch.ScalarType.Float32, data.Inputs.dtype);
        Assert.Equal(torch.ScalarType.Int64, data.Labels.dtype);
        Assert.Equal(pixels.Select(p => p / 255f).ToArray(), data.Inputs.data<float>().ToArray());
        Assert.Equal(labels.Select(l => (long)l).ToArray(), data.Labels.data<long>().ToArray());
        Assert.Equal(0f, data.Inputs.min().item<float>());
        Assert.Equal(1f, data.Inputs.max().item<float>());
    }

    [Fact]
    public void DetectsGzipByMagicBytesNotByName()
    {
        using var dir = new TempDirectory();
        byte[] pixels = TestFiles.Pixels(4, 5, 3, seed: 2);
        byte[] labels = TestFiles.Labels(4);
        // Raw data under a .gz name, gzip data under a plain name.
        string images = dir.Write("images.gz", TestFiles.IdxImages(pixels, 4, 5, 3));
        string labelPath = dir.Write("labels.idx", TestFiles.Gzip(TestFiles.IdxLabels(labels)));

        using var data = IdxDataset.Load(images, labelPath);

        Assert.Equal(new long[] { 4, 1, 5, 3 }, data.Inputs.shape);
        Assert.Equal(pixels.Select(p => p / 255f).ToArray(), data.Inputs.data<float>().ToArray());
    }

    [Fact]
    public void LoadsSplitsAndWholeDatasetFromADirectory()
    {
        using var dir = new TempDirectory();
        byte[] trainPixels = TestFiles.Pixels(6, 28, 28, seed: 3);
        byte[] testPixels = TestFiles.Pixels(4, 28, 28, seed: 4);
        TestFiles.WriteIdxSplit(dir.Path, "train", trainPixels, TestFiles.Labels(6), 28, 28, gzip: true);
        TestFiles.WriteIdxSplit(dir.Path, "t10k", testPixels, TestFiles.Labels(4, first: 6), 28, 28, gzip: false);

        using var training = IdxDataset.LoadSplit(dir.Path, DatasetSplit.Training);
        using var test = FashionMnist.Load(dir.Path, DatasetSplit.Test);
        using var all = FashionMnist.LoadAll(dir.Path);

        Assert.Equal(6, training.Count);
        Assert.Equal(4, test.Count);
        Assert.Equal(10, all.Count);
        Assert.Equal(trainPixels.Concat(testPixels).Select(p => p / 255f).ToArray(), all.Inputs.data<float>().ToArray());
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i).ToArray(), all.Labels.data<long>().ToArray());
    }

    [Fact]
    public void ThresholdBinarisationGivesZerosAndOnes()
    {
        using var dir = new TempDirectory();
        byte[] pixels = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        string images = dir.Write("i", TestFiles.IdxImages(pixels, 1, 16, 16));
        string labels = dir.Write("l", TestFiles.IdxLabels([7]));

        using var half = IdxDataset.Load(images, labels, Binarization.AtThreshold());
        using var high = IdxDataset.Load(images, labels, Binarization.AtThreshold(0.9));

        Assert.Equal(pixels.Select(p => p >= 128 ? 1f : 0f).ToArray(), half.Inputs.data<float>().ToArray());
        Assert.Equal(pixels.Select(p => p / 255f >= 0.9f ? 1f : 0f).ToArray(), high.Inputs.data<float>().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => Binarization.AtThreshold(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Binarization.AtThreshold(double.NaN));
    }

    [Fact]
    public void StochasticBinarisationIsSeededAndFollowsThePixelValue()
    {
        using var dir = new TempDirectory();
        byte[] pixels = Enumerable.Repeat((byte)51, 40 * 28 * 28).ToArray(); // 0.2
        pixels[0] = 0;
        pixels[1] = 255;
        string images = dir.Write("i", TestFiles.IdxImages(pixels, 40, 28, 28));
        string labels = dir.Write("l", TestFiles.IdxLabels(TestFiles.Labels(40)));

        using var a = IdxDataset.Load(images, labels, Binarization.Stochastic(5));
        using var b = IdxDataset.Load(images, labels, Binarization.Stochastic(5));
        using var c = IdxDataset.Load(images, labels, Binarization.Stochastic(6));

        float[] values = a.Inputs.data<float>().ToArray();
        Assert.All(values, v => Assert.True(v is 0f or 1f));
        Assert.Equal(0f, values[0]);
        Assert.Equal(1f, values[1]);
        Assert.InRange(values.Average(), 0.18, 0.22);
        Assert.Equal(values, b.Inputs.data<float>().ToArray());
        Assert.NotEqual(values, c.Inputs.data<float>().ToArray());
        Assert.True(Binarization.Stochastic(5).IsStochastic);
    }

    [Fact]
    public void LoadingAndDisposingLeavesNoTensorsBehind()
    {
        using var dir = new TempDirectory();
        TestFiles.WriteIdxSplit(dir.Path, "t10k", TestFiles.Pixels(5, 28, 28, 1), TestFiles.Labels(5), 28, 28, gzip: true);
        using (IdxDataset.LoadSplit(dir.Path, DatasetSplit.Test, Binarization.Stochastic(1)))
        {
        }

        long before = FreeEnergyRuntime.LiveTensorCount;
        for (int i = 0; i < 3; i++)
        {
            using var data = IdxDataset.LoadSplit(dir.Path, DatasetSplit.Test, Binarization.Stochastic(1));
        }

        Assert.Equal(before, FreeEnergyRuntime.LiveTensorCount);
    }
}
