using System.Buffers.Binary;
using System.IO.Compression;

namespace FreeEnergy.Datasets.Tests;

/// <summary>Generates tiny, valid IDX and CIFAR-10 files (and their bytes) for tests.</summary>
internal static class TestFiles
{
    /// <summary>Deterministic pixel bytes for <paramref name="count"/> images of <paramref name="rows"/> × <paramref name="columns"/>, covering 0 and 255.</summary>
    public static byte[] Pixels(int count, int rows, int columns, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[count * rows * columns];
        random.NextBytes(pixels);
        pixels[0] = 0;
        pixels[^1] = 255;
        return pixels;
    }

    /// <summary>Labels 0 … classes − 1, cycling from <paramref name="first"/>.</summary>
    public static byte[] Labels(int count, int classes = 10, int first = 0) =>
        Enumerable.Range(0, count).Select(i => (byte)((first + i) % classes)).ToArray();

    public static byte[] IdxImages(byte[] pixels, int count, int rows, int columns, int magic = 0x00000803)
    {
        var bytes = new byte[16 + pixels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        pixels.CopyTo(bytes, 16);
        return bytes;
    }

    public static byte[] IdxLabels(byte[] labels, int? declaredCount = null, int magic = 0x00000801)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), declaredCount ?? labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }

    /// <summary>CIFAR-10 records: label byte then 3,072 pixel bytes each.</summary>
    public static byte[] CifarRecords(byte[] labels, byte[] pixels)
    {
        var bytes = new byte[labels.Length * 3073];
        for (int i = 0; i < labels.Length; i++)
        {
            bytes[i * 3073] = labels[i];
            pixels.AsSpan(i * 3072, 3072).CopyTo(bytes.AsSpan(i * 3073 + 1));
        }

        return bytes;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>Writes an IDX split (images and labels) into <paramref name="directory"/> under the standard names.</summary>
    public static void WriteIdxSplit(string directory, string prefix, byte[] pixels, byte[] labels, int rows, int columns, bool gzip)
    {
        string suffix = gzip ? ".gz" : string.Empty;
        byte[] images = IdxImages(pixels, labels.Length, rows, columns);
        byte[] labelFile = IdxLabels(labels);
        File.WriteAllBytes(Path.Combine(directory, $"{prefix}-images-idx3-ubyte{suffix}"), gzip ? Gzip(images) : images);
        File.WriteAllBytes(Path.Combine(directory, $"{prefix}-labels-idx1-ubyte{suffix}"), gzip ? Gzip(labelFile) : labelFile);
    }
}
