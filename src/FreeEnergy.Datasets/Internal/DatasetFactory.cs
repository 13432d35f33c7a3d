using System.Globalization;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Diagnostics;
using static TorchSharp.torch;

namespace FreeEnergy.Datasets.Internal;

/// <summary>Builds one <see cref="LabeledTensorDataset"/> from validated file contents: one input tensor and one label tensor for the whole dataset.</summary>
internal static class DatasetFactory
{
    /// <summary>Images from IDX files (already checked for equal sizes), labels from the matching label files.</summary>
    public static LabeledTensorDataset FromIdx(IReadOnlyList<IdxImages> images, IReadOnlyList<IdxLabels> labels, Binarization? binarization)
    {
        FreeEnergyRuntime.EnsureBackend();
        long count = images.Sum(i => (long)i.Count);
        int rows = images[0].Rows;
        int columns = images[0].Columns;
        CheckSize(count, (long)rows * columns, images.Select(i => i.Name));
        using var scope = NewDisposeScope();
        var inputs = PixelConversion.Allocate(count, 1, rows, columns);
        var elements = PixelConversion.Elements(inputs);
        int offset = 0;
        foreach (var part in images)
        {
            PixelConversion.Convert(part.Pixels, elements[offset..]);
            offset += part.Pixels.Length;
        }

        long[] classes = new long[count];
        int next = 0;
        foreach (var part in labels)
        {
            foreach (byte label in part.Labels)
            {
                classes[next++] = label;
            }
        }

        return Create(inputs, classes, binarization);
    }

    /// <summary>Images and labels from CIFAR-10 batches, in file order.</summary>
    public static LabeledTensorDataset FromCifar(IReadOnlyList<CifarBatch> batches, Binarization? binarization)
    {
        FreeEnergyRuntime.EnsureBackend();
        long count = batches.Sum(b => (long)b.Count);
        CheckSize(count, CifarFormat.PixelsPerImage, batches.Select(b => b.Name));
        using var scope = NewDisposeScope();
        var inputs = PixelConversion.Allocate(count, CifarFormat.Channels, CifarFormat.Side, CifarFormat.Side);
        var elements = PixelConversion.Elements(inputs);
        long[] classes = new long[count];
        int next = 0;
        foreach (var batch in batches)
        {
            for (int r = 0; r < batch.Count; r++, next++)
            {
                int start = r * CifarFormat.RecordSize;
                classes[next] = batch.Records[start];
                PixelConversion.Convert(
                    batch.Records.AsSpan(start + 1, CifarFormat.PixelsPerImage),
                    elements.Slice(next * CifarFormat.PixelsPerImage, CifarFormat.PixelsPerImage));
            }
        }

        return Create(inputs, classes, binarization);
    }

    private static void CheckSize(long count, long pixelsPerImage, IEnumerable<string> names)
    {
        long bytes = count * pixelsPerImage * sizeof(float);
        if (bytes > int.MaxValue)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{string.Join(", ", names.Select(n => $"'{n}'"))}: {count:N0} images of {pixelsPerImage:N0} pixels need {bytes:N0} bytes as float32, more than one dataset tensor built by this reader can hold (2 GiB); load fewer files at a time."));
        }
    }

    private static LabeledTensorDataset Create(Tensor inputs, long[] classes, Binarization? binarization)
    {
        var x = binarization is null ? inputs : binarization.Apply(inputs);
        var y = tensor(classes);
        return new LabeledTensorDataset(x, y);
    }
}
