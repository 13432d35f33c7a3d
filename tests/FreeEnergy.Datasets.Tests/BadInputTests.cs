using FreeEnergy.Core.Diagnostics;

namespace FreeEnergy.Datasets.Tests;

/// <summary>Every kind of bad input gives one clear exception that names the file and the problem, and leaves no tensor behind.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly TempDirectory dir = new();
    private readonly byte[] pixels = TestFiles.Pixels(10, 28, 28, seed: 1);
    private readonly byte[] labels = TestFiles.Labels(10);
    private readonly long liveBefore;

    public BadInputTests()
    {
        liveBefore = FreeEnergyRuntime.LiveTensorCount;
    }

    public void Dispose() => dir.Dispose();

    private string GoodImages(bool gzip = false) => dir.Write("images" + (gzip ? ".gz" : string.Empty), Maybe(TestFiles.IdxImages(pixels, 10, 28, 28), gzip));

    private string GoodLabels(bool gzip = false) => dir.Write("labels" + (gzip ? ".gz" : string.Empty), Maybe(TestFiles.IdxLabels(labels), gzip));

    private static byte[] Maybe(byte[] bytes, bool gzip) => gzip ? TestFiles.Gzip(bytes) : bytes;

    private T Fails<T>(Action load, string path, params string[] phrases)
        where T : Exception
    {
        var ex = Assert.Throws<T>(load);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        foreach (string phrase in phrases)
        {
            Assert.Contains(phrase, ex.Message, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(liveBefore, FreeEnergyRuntime.LiveTensorCount);
        return ex;
    }

    [Theory]
    [InlineData(0x12345678, "not an IDX file")]
    [InlineData(0x00000804, "4 dimension(s)")]
    [InlineData(0x00000D03, "element type 0x0D (32-bit float)")]
    [InlineData(0x00000801, "swapped")]
    public void WrongImageMagic(int magic, string phrase)
    {
        string images = dir.Write("images", TestFiles.IdxImages(pixels, 10, 28, 28, magic));
        Fails<InvalidDataException>(() => IdxDataset.Load(images, GoodLabels()), images, "wrong magic number", phrase);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WrongLabelMagic(bool gzip)
    {
        string labelPath = dir.Write("labels", Maybe(TestFiles.IdxLabels(labels, magic: 0x00000803), gzip));
        Fails<InvalidDataException>(() => IdxDataset.Load(GoodImages(), labelPath), labelPath, "wrong magic number 0x00000803", "swapped");
    }

    [Theory]
    [InlineData(false, 100)]
    [InlineData(true, 100)]
    [InlineData(false, 10)]
    [InlineData(true, 10)]
    [InlineData(false, 2)]
    public void TruncatedImages(bool gzip, int keep)
    {
        byte[] full = TestFiles.IdxImages(pixels, 10, 28, 28);
        string images = dir.Write("images", Maybe(full[..keep], gzip));
        Fails<InvalidDataException>(() => IdxDataset.Load(images, GoodLabels()), images, "truncated");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedGzipStream(bool keepHalf)
    {
        byte[] compressed = TestFiles.Gzip(TestFiles.IdxImages(pixels, 10, 28, 28));
        string images = dir.Write("images.gz", compressed[..(keepHalf ? compressed.Length / 2 : compressed.Length - 8)]);
        Fails<InvalidDataException>(() => IdxDataset.Load(images, GoodLabels()), images);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ExtraBytes(bool gzip)
    {
        string images = dir.Write("images", Maybe([.. TestFiles.IdxImages(pixels, 10, 28, 28), 1, 2, 3], gzip));
        Fails<InvalidDataException>(() => IdxDataset.Load(images, GoodLabels()), images, gzip ? "longer than" : "3 byte(s) are left over");
    }

    [Fact]
    public void EmptyFile()
    {
        string images = dir.Write("images", []);
        Fails<InvalidDataException>(() => IdxDataset.Load(images, GoodLabels()), images, "empty");
    }

    [Fact]
    public void ZeroImages()
    {
        string images = dir.Write("images", TestFiles.IdxImages([], 0, 28, 28));
        Fails<InvalidDataException>(() => IdxDataset.Load(images, GoodLabels()), images, "0 images");
    }

    [Fact]
    public void HugeDeclaredCountDoesNotAllocate()
    {
        string images = dir.Write("images.gz", TestFiles.Gzip(TestFiles.IdxImages(pixels, int.MaxValue, 28, 28)));
        Fails<InvalidDataException>(() => IdxDataset.Load(images, GoodLabels()), images, "more than this reader can hold");
        string small = dir.Write("images2.gz", TestFiles.Gzip(TestFiles.IdxImages(pixels, 1_000_000, 28, 28)));
        Fails<InvalidDataException>(() => IdxDataset.Load(small, GoodLabels()), small, "truncated", "after decompression", "1,000,000 images");
    }

    [Fact]
    public void CountMismatchNamesBothFiles()
    {
        string labelPath = dir.Write("labels", TestFiles.IdxLabels(labels[..9]));
        string images = GoodImages();
        var ex = Fails<InvalidDataException>(() => IdxDataset.Load(images, labelPath), labelPath, "9 labels", "10 images");
        Assert.Contains(images, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LabelHeaderCountDisagreesWithLength()
    {
        string labelPath = dir.Write("labels", TestFiles.IdxLabels(labels, declaredCount: 12));
        Fails<InvalidDataException>(() => IdxDataset.Load(GoodImages(), labelPath), labelPath, "truncated", "12 one-byte labels");
    }

    [Theory]
    [InlineData(new byte[] { 0x1F, 0x8B })]
    [InlineData(new byte[] { 0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF })]
    [InlineData(new byte[] { 0x1F, 0x8B, 0x09, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3 })]
    public void CorruptGzip(byte[] bytes)
    {
        string images = dir.Write("images.gz", bytes);
        Fails<InvalidDataException>(() => IdxDataset.Load(images, GoodLabels()), images);
    }

    [Fact]
    public void CorruptDeflateDataSaysGzip()
    {
        byte[] compressed = TestFiles.Gzip(TestFiles.IdxImages(pixels, 10, 28, 28));
        for (int i = 10; i < 20; i++)
        {
            compressed[i] = 0xFF;
        }

        string images = dir.Write("images.gz", compressed);
        Fails<InvalidDataException>(() => IdxDataset.Load(images, GoodLabels()), images, "gzip");
    }

    [Fact]
    public void DirectoryWithoutTheFilesListsExpectedNamesAndDirectory()
    {
        TestFiles.WriteIdxSplit(dir.Path, "t10k", pixels, labels, 28, 28, gzip: true);
        File.Delete(dir.File("t10k-labels-idx1-ubyte.gz"));

        var test = Fails<FileNotFoundException>(() => FashionMnist.Load(dir.Path, DatasetSplit.Test), dir.Path, "t10k-labels-idx1-ubyte.gz (or t10k-labels-idx1-ubyte) not found", "never downloads");
        Assert.Equal(dir.File("t10k-labels-idx1-ubyte.gz"), test.FileName);
        var all = Fails<FileNotFoundException>(() => FashionMnist.LoadAll(dir.Path), dir.Path, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz");
        Assert.DoesNotContain("t10k-images-idx3-ubyte.gz (or t10k-images-idx3-ubyte), ", all.Message.Split("(expected files")[0], StringComparison.Ordinal);
        Fails<FileNotFoundException>(() => Cifar10.Load(dir.Path, DatasetSplit.Training), dir.Path, "data_batch_1.bin", "data_batch_5.bin", Cifar10.BatchesFolder);
    }

    [Fact]
    public void EmptyDirectorySaysNoneOfTheFilesIsThere()
    {
        Fails<FileNotFoundException>(() => FashionMnist.LoadAll(dir.Path), dir.Path, "none of the expected files", "t10k-labels-idx1-ubyte.gz (or t10k-labels-idx1-ubyte)", "apt-get install dataset-fashion-mnist");
    }

    [Fact]
    public void GzipWithBytesAfterItsTrailer()
    {
        string images = dir.Write("images.gz", [.. TestFiles.Gzip(TestFiles.IdxImages(pixels, 10, 28, 28)), 0, 0, 0, 0]);
        Fails<InvalidDataException>(() => IdxDataset.Load(images, GoodLabels()), images, "gzip", "extra bytes");
    }

    [Fact]
    public void MissingDirectoryAndFiles()
    {
        string missing = Path.Combine(dir.Path, "nowhere");
        Fails<DirectoryNotFoundException>(() => IdxDataset.LoadAll(missing), missing, "does not exist", "train-images-idx3-ubyte.gz");
        Fails<DirectoryNotFoundException>(() => Cifar10.LoadAll(missing), missing, "does not exist", "test_batch.bin");
        string file = Path.Combine(dir.Path, "images");
        Fails<FileNotFoundException>(() => IdxDataset.Load(file, GoodLabels()), file, "IDX image file", "does not exist");
        Fails<FileNotFoundException>(() => Cifar10.LoadBatches([file]), file, "does not exist");
    }

    [Fact]
    public void FashionMnistChecksImageSizeAndLabels()
    {
        TestFiles.WriteIdxSplit(dir.Path, "t10k", TestFiles.Pixels(2, 27, 28, 1), TestFiles.Labels(2), 27, 28, gzip: false);
        Fails<InvalidDataException>(() => FashionMnist.Load(dir.Path, DatasetSplit.Test), dir.File("t10k-images-idx3-ubyte"), "28 × 28", "27 × 28");
        using (IdxDataset.LoadSplit(dir.Path, DatasetSplit.Test))
        {
            // The generic reader takes any size.
        }

        TestFiles.WriteIdxSplit(dir.Path, "t10k", TestFiles.Pixels(2, 28, 28, 1), [3, 10], 28, 28, gzip: false);
        Fails<InvalidDataException>(() => FashionMnist.Load(dir.Path, DatasetSplit.Test), dir.File("t10k-labels-idx1-ubyte"), "label 1 is 10", "10 classes");
    }

    [Fact]
    public void SplitsWithDifferentImageSizes()
    {
        TestFiles.WriteIdxSplit(dir.Path, "train", TestFiles.Pixels(2, 28, 28, 1), TestFiles.Labels(2), 28, 28, gzip: false);
        TestFiles.WriteIdxSplit(dir.Path, "t10k", TestFiles.Pixels(2, 20, 20, 1), TestFiles.Labels(2), 20, 20, gzip: false);
        Fails<InvalidDataException>(() => IdxDataset.LoadAll(dir.Path), dir.File("t10k-images-idx3-ubyte"), "20 × 20", "same image size");
    }

    [Theory]
    [InlineData(3073 * 2 - 1, "not a whole number of 3,073-byte records")]
    [InlineData(3074 * 3, "CIFAR-100")]
    [InlineData(0, "empty")]
    public void CifarWrongLength(int length, string phrase)
    {
        string path = dir.Write("data_batch_1.bin", new byte[length]);
        Fails<InvalidDataException>(() => Cifar10.LoadBatches([path]), path, phrase);
    }

    [Fact]
    public void CifarLabelOutOfRange()
    {
        byte[] records = TestFiles.CifarRecords([1, 2, 3], TestFiles.Pixels(3, 96, 32, 1));
        records[2 * 3073] = 10;
        string path = dir.Write("test_batch.bin", TestFiles.Gzip(records));
        Fails<InvalidDataException>(() => Cifar10.LoadBatches([path]), path, "record 2", "label 10", "0–9");
    }
}
