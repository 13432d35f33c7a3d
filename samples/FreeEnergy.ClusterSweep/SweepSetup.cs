using System.Globalization;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Surface;
using FreeEnergy.Core.Training;
using FreeEnergy.Datasets;

namespace FreeEnergy.ClusterSweep;

/// <summary>
/// The sweep every command of the program runs or checks, from its options: a λ × γ grid (one warm-started chain per
/// γ, λ in the order given), Fashion-MNIST images (a stratified subset, 80 % training, 20 % evaluation), the library's
/// default MLP model and a trainer with a fixed epoch budget. Every task of an array and the merge must be given the
/// same options: they make the same plan (the same fingerprint) and the same numbers.
/// </summary>
internal sealed record SweepSetup(IReadOnlyList<double> Lambdas, IReadOnlyList<double> Gammas, int Examples, int Epochs, long Seed, string? DataDirectory)
{
    /// <summary>The plan: one chain per γ, each running through the λ values in the given order.</summary>
    public SweepPlan Plan => SweepPlan.Grid(Lambdas, Gammas);

    /// <summary>The grid as text, for messages.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture, $"λ {{{Join(Lambdas)}}} × γ {{{Join(Gammas)}}}");

    /// <summary>A fresh model: the same initial weights every call (the seed), as <see cref="SurfaceSweep"/> requires.</summary>
    public RateDistortionModel CreateModel() =>
        RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithSeed(Seed).Build();

    /// <summary>The trainer of every point: at most <see cref="Epochs"/> epochs, the library's defaults otherwise (shuffling seeded by the model's seed).</summary>
    public EquilibriumTrainer CreateTrainer() =>
        new EquilibriumTrainer().WithConvergence(maxEpochs: Epochs);

    /// <summary>Loads the images and splits them; the caller owns (disposes) both datasets.</summary>
    /// <exception cref="InvalidDataException">The data folder's files are missing or not Fashion-MNIST IDX files.</exception>
    public (LabeledTensorDataset Training, LabeledTensorDataset Evaluation) LoadData()
    {
        using var images = DataDirectory is null ? FashionMnist.LoadShippedTestSplit() : FashionMnist.LoadAll(DataDirectory);
        if (Examples >= images.Count)
        {
            return images.StratifiedSplit(evaluationFraction: 0.2, seed: Seed);
        }

        using var subset = images.StratifiedSubset(Examples, Seed);
        return subset.StratifiedSplit(evaluationFraction: 0.2, seed: Seed);
    }

    private static string Join(IEnumerable<double> values) => string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
}
