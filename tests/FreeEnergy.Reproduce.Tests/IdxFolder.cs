using System.Buffers.Binary;
using System.IO.Compression;

namespace FreeEnergy.Reproduce.Tests;

/// <summary>
/// Writes a tiny synthetic Fashion-MNIST-shaped IDX folder: the four official file names (gzip), 28 × 28 images,
/// 10 classes with <see cref="PerClass"/> images each per split; class k is a bright band of rows over faint noise.
/// </summary>
internal static class IdxFolder
{
    /// <summary>Images per class in each split (200 images per split).</summary>
    public const int PerClass = 20;

    public const string TrainingImages = "train-images-idx3-ubyte.gz";
    public const string TrainingLabels = "train-labels-idx1-ubyte.gz";
    public const string TestImages = "t10k-images-idx3-ubyte.gz";
    public const string TestLabels = "t10k-labels-idx1-ubyte.gz";

    private const int ImageMagic = 0x00000803;
    private const int LabelMagic = 0x00000801;
    private const int Side = 28;

    /// <summary>Creates <paramref name="directory"/> with the four files.</summary>
    public static void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        WriteSplit(directory, TrainingImages, TrainingLabels, seed: 1);
        WriteSplit(directory, TestImages, TestLabels, seed: 2);
    }

    /// <summary>The IDX bytes of an image file (header and pixels), not compressed.</summary>
    public static byte[] Images(int count, int seed)
    {
        var random = new Random(seed);
        byte[] pixels = new byte[count * Side * Side];
        for (int i = 0; i < count; i++)
        {
            int label = i % 10;
            var image = pixels.AsSpan(i * Side * Side, Side * Side);
            for (int p = 0; p < image.Length; p++)
            {
                int row = p / Side;
                bool band = row >= 3 + (2 * label) && row < 7 + (2 * label);
                image[p] = (byte)(band ? random.Next(180, 256) : random.Next(0, 40));
            }
        }

        return [.. Header(ImageMagic, count, Side, Side), .. pixels];
    }

    /// <summary>The IDX bytes of a label file (header and labels 0–9 in turn), not compressed.</summary>
    public static byte[] Labels(int count) =>
        [.. Header(LabelMagic, count), .. Enumerable.Range(0, count).Select(i => (byte)(i % 10))];

    /// <summary>Writes <paramref name="bytes"/> gzip-compressed to <paramref name="path"/>.</summary>
    public static void WriteGzip(string path, byte[] bytes)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(bytes);
    }

    private static void WriteSplit(string directory, string images, string labels, int seed)
    {
        int count = PerClass * 10;
        WriteGzip(Path.Combine(directory, images), Images(count, seed));
        WriteGzip(Path.Combine(directory, labels), Labels(count));
    }

    private static byte[] Header(int magic, params int[] dimensions)
    {
        byte[] header = new byte[4 * (1 + dimensions.Length)];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        for (int d = 0; d < dimensions.Length; d++)
        {
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 * (d + 1)), dimensions[d]);
        }

        return header;
    }
}
