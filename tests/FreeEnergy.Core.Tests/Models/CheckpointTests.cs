using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;

namespace FreeEnergy.Core.Tests.Models;

public sealed class CheckpointTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fe-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static RateDistortionModelBuilder Builder() =>
        RateDistortionModel.CreateBuilder().WithInputShape(1, 4, 4).WithClasses(3).WithMlp(12).WithLatentSize(3).WithSamples(2).WithMixturePrior(2);

    [Fact]
    public void SaveAndLoadRoundTripTheWeightsAndConfiguration()
    {
        using var data = TestData.Prototypes(64, 3, 1);
        using var model = Builder().WithSeed(2).Build();
        new EquilibriumTrainer().WithConvergence(maxEpochs: 2).Train(model, new Multipliers(1, 1), data);
        string path = Path.Combine(directory, "model.fe");
        model.Save(path);

        using var loaded = RateDistortionModel.Load(path);
        Assert.Equal(model.Configuration.Seed, loaded.Configuration.Seed);
        Assert.Equal(model.Configuration.InputShape, loaded.Configuration.InputShape);
        Assert.Equal(model.Evaluate(data), loaded.Evaluate(data));

        using var fresh = Builder().WithSeed(77).Build();
        Assert.NotEqual(model.Evaluate(data, noiseSeed: 1), fresh.Evaluate(data, noiseSeed: 1));
        fresh.LoadWeights(path);
        Assert.Equal(model.Evaluate(data, noiseSeed: 1), fresh.Evaluate(data, noiseSeed: 1));
        Assert.Empty(Directory.GetFiles(directory, "*.tmp-*"));
    }

    [Fact]
    public void LoadingIntoAModelOfAnotherStructureSaysWhatDiffersAndChangesNothing()
    {
        using var data = TestData.Prototypes(16, 3, 1);
        using var saved = Builder().Build();
        string path = Path.Combine(directory, "model.fe");
        saved.Save(path);
        using var other = RateDistortionModel.CreateBuilder().WithInputShape(1, 4, 4).WithClasses(4).WithMlp(10).WithLatentSize(3).Build();
        var before = other.Evaluate(data);

        var ex = Assert.Throws<InvalidOperationException>(() => other.LoadWeights(path));

        Assert.Contains("Classes: this model has 4, the other has 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("HiddenSizes: this model has [10], the other has [12]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Prior", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, other.Evaluate(data));
    }

    [Fact]
    public void AFileThatIsNotACheckpointIsRejectedClearly()
    {
        string garbage = Path.Combine(directory, "garbage.fe");
        File.WriteAllText(garbage, "not a model");
        var ex = Assert.Throws<InvalidDataException>(() => RateDistortionModel.Load(garbage));
        Assert.Contains("not a FreeEnergy model checkpoint", ex.Message, StringComparison.Ordinal);

        using var model = Builder().Build();
        string path = Path.Combine(directory, "model.fe");
        model.Save(path);
        byte[] bytes = File.ReadAllBytes(path);
        string truncated = Path.Combine(directory, "truncated.fe");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        Assert.Throws<InvalidDataException>(() => RateDistortionModel.Load(truncated));
    }
}
