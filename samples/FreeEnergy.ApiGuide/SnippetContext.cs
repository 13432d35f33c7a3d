using FreeEnergy.Core.Data;
using FreeEnergy.Core.Surface;

namespace FreeEnergy.ApiGuide;

/// <summary>
/// What the snippets are run with: a small class-balanced split of the shipped Fashion-MNIST test split (loaded
/// once, on first use) and fresh scratch folders, all removed on disposal.
/// </summary>
public sealed class SnippetContext : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("freeenergy-apiguide-").FullName;
    private (LabeledTensorDataset Training, LabeledTensorDataset Evaluation)? data;
    private int folders;

    /// <summary>Creates a context whose data set has <paramref name="images"/> images (80% training, 20% evaluation).</summary>
    public SnippetContext(int images = 600)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(images, 100);
        Images = images;
    }

    /// <summary>Images in the data set of the snippets.</summary>
    public int Images { get; }

    /// <summary>The training data (80%).</summary>
    public LabeledTensorDataset Training => (data ??= Snippets.LoadData(Images)).Training;

    /// <summary>The evaluation data (20%).</summary>
    public LabeledTensorDataset Evaluation => (data ??= Snippets.LoadData(Images)).Evaluation;

    /// <summary>The surface of the last sweep snippet (its records and checkpoints live in a folder of this context).</summary>
    public EquilibriumSurface? Surface { get; set; }

    /// <summary>A new empty folder, removed with the context.</summary>
    public string NewFolder(string name) =>
        Directory.CreateDirectory(Path.Combine(root, $"{Interlocked.Increment(ref folders):D2}-{name}")).FullName;

    /// <inheritdoc />
    public void Dispose()
    {
        if (data is { } d)
        {
            d.Training.Dispose();
            d.Evaluation.Dispose();
            data = null;
        }

        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
