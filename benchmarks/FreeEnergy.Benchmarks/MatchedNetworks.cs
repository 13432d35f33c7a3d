using FreeEnergy.Core.Models;

namespace FreeEnergy.Benchmarks;

/// <summary>A library model and a raw network with identical weights (kept out of RawTrainingLoop.cs, which uses no library code).</summary>
internal static class MatchedNetworks
{
    /// <summary>
    /// The default MLP (hidden 512, 256) at K = <paramref name="samples"/> built by the library with seed 1, and a raw
    /// network loaded from its checkpoint, so that both start from identical weights (the micro-benchmarks' setup).
    /// </summary>
    public static (RateDistortionModel Model, RawTrainingLoop Raw) DefaultMlp(int samples)
    {
        var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithSamples(samples).WithSeed(1).Build();
        var raw = new RawTrainingLoop(false, samples, [512, 256]);
        string checkpoint = Path.Combine(Path.GetTempPath(), $"fe-micro-{Environment.ProcessId}.bin");
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
}
