using System.Globalization;
using FreeEnergy.Core.Data;
using FreeEnergy.Datasets.Internal;

namespace FreeEnergy.Datasets;

/// <summary>
/// Loads datasets stored as IDX files, the format of MNIST, Fashion-MNIST and KMNIST (all three use the same
/// file names), into a <see cref="LabeledTensorDataset"/>: inputs [N, 1, rows, columns] float32 in [0, 1]
/// (pixel byte / 255), labels [N] int64.
/// </summary>
/// <remarks>
/// <para>
/// Files may be raw or gzip-compressed; compression is detected by gzip's magic bytes (1F 8B), not by the
/// file name. Every file is validated: the magic number (0x00000803 for images, 0x00000801 for labels),
/// the element type (0x08, unsigned byte), the sizes in the header, the exact file length, and that image
/// and label files hold the same number of examples. The whole dataset becomes one input tensor and one
/// label tensor. Nothing is ever downloaded.
/// </para>
/// <para>
/// Errors: <see cref="InvalidDataException"/> for bad content, <see cref="FileNotFoundException"/> or
/// <see cref="DirectoryNotFoundException"/> for missing files, each with one message that names the file and
/// the problem; other <see cref="IOException"/>s and <see cref="UnauthorizedAccessException"/> when a file
/// cannot be read. On any error nothing is left allocated.
/// </para>
/// </remarks>
public static class IdxDataset
{
    private const string Hint = "On Debian or Ubuntu, 'apt-get install dataset-fashion-mnist' puts Fashion-MNIST in /usr/share/datasets/fashion-mnist; MNIST and KMNIST use the same file names.";

    /// <summary>Loads one image file and its label file.</summary>
    /// <param name="imagesPath">An IDX image file (magic 0x00000803), raw or gzip.</param>
    /// <param name="labelsPath">The matching IDX label file (magic 0x00000801), raw or gzip.</param>
    /// <param name="binarization">Optional binarisation applied after scaling to [0, 1].</param>
    /// <returns>A new dataset, [N, 1, rows, columns] float32 and [N] int64. The caller owns (disposes) it.</returns>
    /// <exception cref="ArgumentException">A path is null or empty.</exception>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is not a valid IDX file of the expected kind, or the counts differ.</exception>
    public static LabeledTensorDataset Load(string imagesPath, string labelsPath, Binarization? binarization = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagesPath);
        ArgumentException.ThrowIfNullOrEmpty(labelsPath);
        RequireFile(imagesPath, "IDX image file");
        RequireFile(labelsPath, "IDX label file");
        return Load([(imagesPath, labelsPath)], binarization, expectation: null);
    }

    /// <summary>
    /// Loads one split from a directory that holds the standard file names: <c>train-images-idx3-ubyte</c>,
    /// <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c>, <c>t10k-labels-idx1-ubyte</c>, each with or
    /// without <c>.gz</c> (the <c>.gz</c> file is used when both exist).
    /// </summary>
    /// <param name="directory">The directory, for example <c>/usr/share/datasets/fashion-mnist</c> (Debian's <c>dataset-fashion-mnist</c> package).</param>
    /// <param name="split">Which split.</param>
    /// <param name="binarization">Optional binarisation applied after scaling to [0, 1].</param>
    /// <returns>A new dataset. The caller owns (disposes) it.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file is missing; the message lists the expected names and the directory searched.</exception>
    /// <exception cref="InvalidDataException">A file is not valid.</exception>
    public static LabeledTensorDataset LoadSplit(string directory, DatasetSplit split, Binarization? binarization = null) =>
        LoadSplit(directory, split, binarization, expectation: null);

    /// <summary>
    /// Loads the training split followed by the test split from one directory into one dataset (70,000
    /// examples for MNIST, Fashion-MNIST and KMNIST). See <see cref="LoadSplit(string, DatasetSplit, Binarization?)"/> for the file names.
    /// </summary>
    /// <param name="directory">The directory that holds all four files.</param>
    /// <param name="binarization">Optional binarisation applied after scaling to [0, 1].</param>
    /// <returns>A new dataset, training examples first. The caller owns (disposes) it.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file is missing; the message lists the expected names and the directory searched.</exception>
    /// <exception cref="InvalidDataException">A file is not valid, or the two splits have different image sizes.</exception>
    public static LabeledTensorDataset LoadAll(string directory, Binarization? binarization = null) =>
        LoadAll(directory, binarization, expectation: null);

    internal static LabeledTensorDataset LoadSplit(string directory, DatasetSplit split, Binarization? binarization, IdxExpectation? expectation)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string[] paths = Locate(directory, [split], expectation);
        return Load([(paths[0], paths[1])], binarization, expectation);
    }

    internal static LabeledTensorDataset LoadAll(string directory, Binarization? binarization, IdxExpectation? expectation)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string[] paths = Locate(directory, [DatasetSplit.Training, DatasetSplit.Test], expectation);
        return Load([(paths[0], paths[1]), (paths[2], paths[3])], binarization, expectation);
    }

    /// <summary>Reads and validates every pair of files, then builds one dataset from all of them.</summary>
    internal static LabeledTensorDataset Load(IReadOnlyList<(string Images, string Labels)> files, Binarization? binarization, IdxExpectation? expectation)
    {
        var images = new List<IdxImages>();
        var labels = new List<IdxLabels>();
        foreach (var (imagesPath, labelsPath) in files)
        {
            using (var stream = DataStream.OpenFile(imagesPath))
            {
                images.Add(IdxFormat.ReadImages(stream));
            }

            using (var stream = DataStream.OpenFile(labelsPath))
            {
                labels.Add(IdxFormat.ReadLabels(stream));
            }
        }

        return Build(images, labels, binarization, expectation);
    }

    /// <summary>Validates the pairs against each other and against <paramref name="expectation"/>, then builds one dataset.</summary>
    internal static LabeledTensorDataset Build(IReadOnlyList<IdxImages> images, IReadOnlyList<IdxLabels> labels, Binarization? binarization, IdxExpectation? expectation)
    {
        for (int i = 0; i < images.Count; i++)
        {
            var (image, label) = (images[i], labels[i]);
            if (image.Count != label.Labels.Length)
            {
                throw new InvalidDataException(Format(
                    $"'{label.Name}' holds {label.Labels.Length:N0} labels but '{image.Name}' holds {image.Count:N0} images; an image file and its label file must hold the same number of examples."));
            }

            if (image.Rows != images[0].Rows || image.Columns != images[0].Columns)
            {
                throw new InvalidDataException(Format(
                    $"'{image.Name}' holds images of {image.Rows} × {image.Columns} pixels but '{images[0].Name}' holds {images[0].Rows} × {images[0].Columns}; the splits of one dataset must have the same image size."));
            }

            expectation?.Check(image, label);
        }

        return DatasetFactory.FromIdx(images, labels, binarization);
    }

    private static string[] Locate(string directory, IReadOnlyList<DatasetSplit> splits, IdxExpectation? expectation)
    {
        var files = new List<IReadOnlyList<string>>();
        foreach (var split in splits)
        {
            string prefix = split == DatasetSplit.Training ? "train" : "t10k";
            files.Add([$"{prefix}-images-idx3-ubyte.gz", $"{prefix}-images-idx3-ubyte"]);
            files.Add([$"{prefix}-labels-idx1-ubyte.gz", $"{prefix}-labels-idx1-ubyte"]);
        }

        string what = splits.Count == 2 ? "training and test splits" : (splits[0] == DatasetSplit.Training ? "training split" : "test split");
        return FileLocator.Locate([directory], files, $"the {expectation?.DatasetName ?? "IDX"} {what}", Hint);
    }

    private static void RequireFile(string path, string kind)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                Format($"The {kind} '{Path.GetFullPath(path)}' does not exist{(Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(path))) ? string.Empty : " (nor does its directory)")}. This library never downloads data. {Hint}"),
                Path.GetFullPath(path));
        }
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
