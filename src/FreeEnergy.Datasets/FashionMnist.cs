using FreeEnergy.Core.Data;
using FreeEnergy.Datasets.Internal;

namespace FreeEnergy.Datasets;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul and Vollgraf, Zalando Research, 2017; MIT licence): 28 × 28 grey-scale images
/// of 10 kinds of clothing, 60,000 for training and 10,000 for testing. The official test split is built
/// into this assembly (<see cref="LoadShippedTestSplit"/>); the full dataset is read from a directory.
/// </summary>
/// <remarks>
/// Inputs are [N, 1, 28, 28] float32 in [0, 1] (pixel byte / 255), labels [N] int64 in 0–9 (see
/// <see cref="ClassNames"/>). Besides the checks of <see cref="IdxDataset"/>, images must be 28 × 28 and labels
/// below 10. The shipped files and their checksums are described in <c>data/fashion-mnist/PROVENANCE.md</c>
/// of the source repository.
/// </remarks>
public static class FashionMnist
{
    /// <summary>Where Debian's and Ubuntu's <c>dataset-fashion-mnist</c> package puts the four official files.</summary>
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The number of classes, 10.</summary>
    public const int ClassCount = 10;

    /// <summary>The number of examples in the official test split, 10,000 (1,000 per class).</summary>
    public const int TestSplitCount = 10_000;

    private const string ImagesResource = "FreeEnergy.Datasets.FashionMnist.t10k-images-idx3-ubyte.gz";
    private const string LabelsResource = "FreeEnergy.Datasets.FashionMnist.t10k-labels-idx1-ubyte.gz";

    private static readonly IdxExpectation Expectation = new("Fashion-MNIST", 28, 28, ClassCount);

    /// <summary>The names of the classes, indexed by label: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// Loads Fashion-MNIST's official test split (10,000 images, 1,000 per class) from the copy built into this
    /// assembly: no file, directory or network needed.
    /// </summary>
    /// <param name="binarization">Optional binarisation applied after scaling to [0, 1].</param>
    /// <returns>A new dataset, [10000, 1, 28, 28] float32 and [10000] int64. The caller owns (disposes) it.</returns>
    public static LabeledTensorDataset LoadShippedTestSplit(Binarization? binarization = null)
    {
        IdxImages images;
        IdxLabels labels;
        using (var stream = OpenResource(ImagesResource))
        {
            images = IdxFormat.ReadImages(stream);
        }

        using (var stream = OpenResource(LabelsResource))
        {
            labels = IdxFormat.ReadLabels(stream);
        }

        return IdxDataset.Build([images], [labels], binarization, Expectation);
    }

    /// <summary>
    /// Loads one split from a directory that holds the official files (<c>train-images-idx3-ubyte.gz</c>,
    /// <c>train-labels-idx1-ubyte.gz</c>, <c>t10k-images-idx3-ubyte.gz</c>, <c>t10k-labels-idx1-ubyte.gz</c>, raw or
    /// gzip), for example <see cref="DebianDirectory"/>.
    /// </summary>
    /// <param name="directory">The directory.</param>
    /// <param name="split">Which split.</param>
    /// <param name="binarization">Optional binarisation applied after scaling to [0, 1].</param>
    /// <returns>A new dataset. The caller owns (disposes) it.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file is missing; the message lists the expected names and the directory searched.</exception>
    /// <exception cref="InvalidDataException">A file is not valid Fashion-MNIST data.</exception>
    public static LabeledTensorDataset Load(string directory, DatasetSplit split, Binarization? binarization = null) =>
        IdxDataset.LoadSplit(directory, split, binarization, Expectation);

    /// <summary>
    /// Loads the full dataset, the 60,000 training images followed by the 10,000 test images, from one
    /// directory into one dataset, for example <c>FashionMnist.LoadAll(FashionMnist.DebianDirectory)</c>.
    /// </summary>
    /// <param name="directory">The directory that holds all four files.</param>
    /// <param name="binarization">Optional binarisation applied after scaling to [0, 1].</param>
    /// <returns>A new dataset of 70,000 examples for the official files. The caller owns (disposes) it.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file is missing; the message lists the expected names and the directory searched.</exception>
    /// <exception cref="InvalidDataException">A file is not valid Fashion-MNIST data.</exception>
    public static LabeledTensorDataset LoadAll(string directory, Binarization? binarization = null) =>
        IdxDataset.LoadAll(directory, binarization, Expectation);

    /// <summary>The raw bytes of a shipped file (for checksum tests).</summary>
    internal static Stream OpenShippedFile(bool images) =>
        typeof(FashionMnist).Assembly.GetManifestResourceStream(images ? ImagesResource : LabelsResource)
        ?? throw new InvalidOperationException($"The embedded resource '{(images ? ImagesResource : LabelsResource)}' is missing from {typeof(FashionMnist).Assembly.GetName().Name}; the assembly was built without data/fashion-mnist.");

    private static DataStream OpenResource(string name) =>
        DataStream.Open(OpenShippedFile(name == ImagesResource), $"embedded resource {name}");
}
