using FreeEnergy.Core.Data;
using FreeEnergy.Datasets.Internal;

namespace FreeEnergy.Datasets;

/// <summary>
/// CIFAR-10 (Krizhevsky, 2009) from its binary version (<c>cifar-10-binary.tar.gz</c>, unpacked to
/// <c>cifar-10-batches-bin/</c>): 32 × 32 colour images of 10 classes, five training batches
/// (<c>data_batch_1.bin</c> … <c>data_batch_5.bin</c>) and one test batch (<c>test_batch.bin</c>) of 10,000
/// records each. Nothing is shipped or downloaded.
/// </summary>
/// <remarks>
/// <para>
/// A record is 1 label byte (0–9) followed by 3,072 pixel bytes: the red, green and blue 32 × 32 planes in
/// row-major order. Inputs become [N, 3, 32, 32] float32 in [0, 1] (pixel byte / 255; no per-channel mean
/// or standard-deviation normalisation), labels [N] int64. A file must be a whole, non-zero number of
/// records (official batches hold 10,000) with labels 0–9; it may be gzip-compressed (detected by its magic
/// bytes).
/// </para>
/// <para>
/// Errors: <see cref="InvalidDataException"/> for bad content, <see cref="FileNotFoundException"/> or
/// <see cref="DirectoryNotFoundException"/> for missing files, each naming the file and the problem; other
/// <see cref="IOException"/>s and <see cref="UnauthorizedAccessException"/> when a file cannot be read.
/// </para>
/// </remarks>
public static class Cifar10
{
    /// <summary>The name of the folder that <c>cifar-10-binary.tar.gz</c> unpacks to.</summary>
    public const string BatchesFolder = "cifar-10-batches-bin";

    /// <summary>The number of classes, 10.</summary>
    public const int ClassCount = CifarFormat.ClassCount;

    private const string Hint = "Unpack cifar-10-binary.tar.gz and pass the cifar-10-batches-bin folder (or its parent).";

    /// <summary>The names of the classes, indexed by label: airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>
    /// Loads one split from a directory that holds the batch files: <paramref name="directory"/> itself or its
    /// <c>cifar-10-batches-bin</c> subfolder.
    /// </summary>
    /// <param name="directory">The <c>cifar-10-batches-bin</c> folder or its parent.</param>
    /// <param name="split">Which split: the five training batches (50,000 images) or the test batch (10,000).</param>
    /// <param name="binarization">Optional binarisation applied after scaling to [0, 1].</param>
    /// <returns>A new dataset, [N, 3, 32, 32] float32 and [N] int64, records in file order. The caller owns (disposes) it.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file is missing; the message lists the expected names and the directories searched.</exception>
    /// <exception cref="InvalidDataException">A file is not a valid CIFAR-10 binary batch.</exception>
    public static LabeledTensorDataset Load(string directory, DatasetSplit split, Binarization? binarization = null) =>
        LoadBatches(Locate(directory, [split]), binarization);

    /// <summary>Loads the five training batches followed by the test batch (60,000 images) into one dataset.</summary>
    /// <param name="directory">The <c>cifar-10-batches-bin</c> folder or its parent.</param>
    /// <param name="binarization">Optional binarisation applied after scaling to [0, 1].</param>
    /// <returns>A new dataset, training records first. The caller owns (disposes) it.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file is missing; the message lists the expected names and the directories searched.</exception>
    /// <exception cref="InvalidDataException">A file is not a valid CIFAR-10 binary batch.</exception>
    public static LabeledTensorDataset LoadAll(string directory, Binarization? binarization = null) =>
        LoadBatches(Locate(directory, [DatasetSplit.Training, DatasetSplit.Test]), binarization);

    /// <summary>Loads the given batch files, in order, into one dataset.</summary>
    /// <param name="paths">One or more CIFAR-10 binary batch files.</param>
    /// <param name="binarization">Optional binarisation applied after scaling to [0, 1].</param>
    /// <returns>A new dataset. The caller owns (disposes) it.</returns>
    /// <exception cref="ArgumentException">No path is given, or a path is null or empty.</exception>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is not a valid CIFAR-10 binary batch.</exception>
    public static LabeledTensorDataset LoadBatches(IReadOnlyList<string> paths, Binarization? binarization = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0)
        {
            throw new ArgumentException("At least one CIFAR-10 batch file is needed.", nameof(paths));
        }

        var batches = new List<CifarBatch>(paths.Count);
        foreach (string path in paths)
        {
            if (string.IsNullOrEmpty(path))
            {
                throw new ArgumentException("A batch path is null or empty.", nameof(paths));
            }

            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"The CIFAR-10 batch file '{Path.GetFullPath(path)}' does not exist. This library never downloads data. {Hint}", Path.GetFullPath(path));
            }

            using var stream = DataStream.OpenFile(path);
            batches.Add(CifarFormat.ReadBatch(stream));
        }

        return DatasetFactory.FromCifar(batches, binarization);
    }

    private static string[] Locate(string directory, IReadOnlyList<DatasetSplit> splits)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var files = new List<IReadOnlyList<string>>();
        foreach (var split in splits)
        {
            if (split == DatasetSplit.Training)
            {
                files.AddRange(Enumerable.Range(1, 5).Select(i => (IReadOnlyList<string>)[$"data_batch_{i}.bin"]));
            }
            else
            {
                files.Add(["test_batch.bin"]);
            }
        }

        string what = splits.Count == 2 ? "training and test batches" : (splits[0] == DatasetSplit.Training ? "training batches" : "test batch");
        return FileLocator.Locate([directory, Path.Combine(directory, BatchesFolder)], files, $"the CIFAR-10 {what}", Hint);
    }
}
