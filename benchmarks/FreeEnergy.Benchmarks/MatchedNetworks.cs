using FreeEnergy.Core.Models;

namespace FreeEnergy.Benchmarks;

/// <summary>A library model and a raw network with identical weights (kept out of RawTrainingLoop.cs, which uses no library code).</summary>
internal static class MatchedNetworks
{
    /// <summary>The default MLP's hidden layers.</summary>
    public static readonly int[] DefaultHidden = [512, 256];

    /// <summary>
    /// The default MLP (hidden 512, 256) at K = <paramref name="samples"/> built by the library with seed 1, and a raw
    /// network loaded from its checkpoint, so that both start from identical weights (the micro-benchmarks' setup).
    /// </summary>
    public static (RateDistortionModel Model, RawTrainingLoop Raw) DefaultMlp(int samples) => Create(conv: false, samples, DefaultHidden);

    /// <summary>
    /// The library's conv model (<paramref name="conv"/>) or MLP with <paramref name="hidden"/> layers at K =
    /// <paramref name="samples"/>, seed 1, for 28×28 images and 10 classes; and a raw network of the same shape loaded
    /// from its checkpoint, so that both start from identical weights. The caller disposes both.
    /// </summary>
    public static (RateDistortionModel Model, RawTrainingLoop Raw) Create(bool conv, int samples, int[] hidden)
    {
        var model = Build(conv, samples, hidden);
        var raw = new RawTrainingLoop(conv, samples, hidden);
        string checkpoint = Path.Combine(Path.GetTempPath(), $"fe-matched-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");
        try
        {
            model.Save(checkpoint);
            raw.LoadCheckpoint(checkpoint);
        }
        finally
        {
            File.Delete(checkpoint);
        }

        return (model, raw);
    }

    /// <summary>The library model alone (see <see cref="Create"/>).</summary>
    public static RateDistortionModel Build(bool conv, int samples, int[] hidden)
    {
        var builder = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithSamples(samples).WithSeed(1);
        return (conv ? builder.WithConvolutional() : builder.WithMlp(hidden)).Build();
    }
}
