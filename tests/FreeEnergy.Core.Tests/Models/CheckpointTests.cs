using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;

namespace FreeEnergy.Core.Tests.Models;

public sealed class CheckpointTests : IDisposable
{
    private static readonly System.Text.Json.JsonSerializerOptions HeaderOptions = new()
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase) },
    };

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

    [Fact]
    public void AFailedLoadWeightsLeavesTheWeightsUnchanged()
    {
        // Issue 17: a truncated file used to throw after part of the weights had been replaced.
        using var data = TestData.Prototypes(64, 3, 1);
        using var saved = Builder().WithSeed(2).Build();
        string path = Path.Combine(directory, "model.fe");
        saved.Save(path);
        byte[] bytes = File.ReadAllBytes(path);
        string truncated = Path.Combine(directory, "truncated.fe");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length * 3 / 4)]);
        string truncatedOldFormat = Path.Combine(directory, "truncated-v1.fe");
        WriteVersion1(truncatedOldFormat, saved, payload => payload[..(payload.Length * 3 / 4)]);

        using var model = Builder().WithSeed(9).Build();
        var before = model.Evaluate(data, noiseSeed: 1);
        using var snapshot = Core.Internal.WeightSnapshot.Capture(model.Network);
        foreach (string damaged in new[] { truncated, truncatedOldFormat })
        {
            var ex = Assert.Throws<InvalidDataException>(() => model.LoadWeights(damaged));
            Assert.Contains(damaged, ex.Message, StringComparison.Ordinal);
            Assert.Equal(0, snapshot.MaxAbsoluteDifference());
        }

        Assert.Equal(before, model.Evaluate(data, noiseSeed: 1));
    }

    [Fact]
    public void AFlippedByteOrNonFiniteWeightsAreRefusedAndVersion1FilesStillLoad()
    {
        using var data = TestData.Prototypes(64, 3, 1);
        using var saved = Builder().WithSeed(2).Build();
        string path = Path.Combine(directory, "model.fe");
        saved.Save(path);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[^20] ^= 0x01; // one bit of the last weights
        string flipped = Path.Combine(directory, "flipped.fe");
        File.WriteAllBytes(flipped, bytes);
        var ex = Assert.Throws<InvalidDataException>(() => RateDistortionModel.Load(flipped));
        Assert.Contains("SHA-256", ex.Message, StringComparison.Ordinal);
        Assert.Contains(flipped, ex.Message, StringComparison.Ordinal);

        // Files written before the checksum (format version 1) still load, to the same numbers.
        string old = Path.Combine(directory, "v1.fe");
        WriteVersion1(old, saved, payload => payload);
        using (var loaded = RateDistortionModel.Load(old))
        {
            Assert.Equal(saved.Evaluate(data), loaded.Evaluate(data));
        }

        // Non-finite weights: never saved, and refused on load with the tensor's name.
        using (TorchSharp.torch.no_grad())
        {
            saved.Network.Classifier.bias![0] = float.NaN;
        }

        var saving = Assert.Throws<InvalidOperationException>(() => saved.Save(Path.Combine(directory, "nan.fe")));
        Assert.Contains("classifier.bias", saving.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(directory, "nan.fe")));
        string nan = Path.Combine(directory, "nan-v1.fe");
        WriteVersion1(nan, saved, payload => payload);
        var loading = Assert.Throws<InvalidDataException>(() => RateDistortionModel.Load(nan));
        Assert.Contains("'classifier.bias'", loading.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveAndLoadNameTheRealProblemAndStaleTemporaryFilesAreCleanedUp()
    {
        using var model = Builder().Build();
        string missing = Path.Combine(directory, "no-such-folder", "model.fe");
        var save = Assert.Throws<DirectoryNotFoundException>(() => model.Save(missing));
        Assert.Contains(Path.Combine(directory, "no-such-folder"), save.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(".tmp-", save.Message, StringComparison.Ordinal);

        var load = Assert.Throws<InvalidDataException>(() => RateDistortionModel.Load(directory));
        Assert.Contains("is a folder", load.Message, StringComparison.Ordinal);

        // A process killed while writing leaves <file>.tmp-<pid>; the next save of that file removes it.
        string path = Path.Combine(directory, "model.fe");
        string stale = path + ".tmp-4999999"; // above Linux's largest process id: no such process
        File.WriteAllText(stale, "half a checkpoint");
        model.Save(path);
        Assert.False(File.Exists(stale));
    }

    /// <summary>Writes a checkpoint in format version 1 (header without checksum), as the library did before issue 17.</summary>
    private static void WriteVersion1(string path, RateDistortionModel model, Func<byte[], byte[]> change)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            model.Network.save(writer);
        }

        byte[] json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
            new { format = "FreeEnergy.Core.RateDistortionModel", formatVersion = 1, libraryVersion = "1.0.0", configuration = model.Configuration }, HeaderOptions);
        using var file = File.Create(path);
        file.Write("FEMODEL1"u8);
        file.Write(BitConverter.GetBytes(json.Length));
        file.Write(json);
        file.Write(change(buffer.ToArray()));
    }
}
