using System.Collections.Specialized;
using System.Globalization;
using System.Text.Json;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Interop;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
using FreeEnergy.Datasets;
using TorchSharp.PyBridge;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Tests.Interop;

/// <summary>
/// The library's weights in PyTorch's formats, checked against PyTorch itself: python/freeenergy_torch (run with the
/// interpreter <see cref="PythonTorch"/> finds) evaluates the same weights on the same images with the same ε.
/// </summary>
public sealed class PyTorchInteropTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>
    /// R, D, C agree to this relative tolerance (of max(1, |value|)): float32 arithmetic in two builds of libtorch
    /// (2.10 here, 1.13 in Debian's python3-torch) with different kernels. Measured: ≤ 2e-7 relative (docs/interop.md), a 100-fold margin.
    /// </summary>
    private const double Tolerance = 2e-5;

    private readonly string directory = Directory.CreateTempSubdirectory("fe-interop-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string PathOf(string name) => Path.Combine(directory, name);

    public static TheoryData<PyTorchFormat> Formats => new() { PyTorchFormat.StateDict, PyTorchFormat.Safetensors };

    [Theory]
    [MemberData(nameof(Formats))]
    public void AnMlpTrainedInCSharpHasTheSameFunctionalsInPyTorch(PyTorchFormat format)
    {
        using var data = Images(300);
        using var model = Mlp(seed: 3);
        Train(model, data);
        string weights = PathOf(format == PyTorchFormat.StateDict ? "mlp.pt" : "mlp.safetensors");
        model.SavePyTorch(weights, format);
        using var noise = Noise(model, data.Count, seed: 11);
        string dataFile = WriteData(data, noise);

        var expected = model.EvaluateWithNoise(data, noise, batchSize: 128);
        var actual = EvaluateInPython(weights, dataFile, batchSize: 128);

        AssertSame($"C# → PyTorch, mlp, {format}", expected, actual);
    }

    [Fact]
    public void TheAuthorsConvModelWithAMixturePriorTrainedInCSharpHasTheSameFunctionalsInPyTorchInBothFormats()
    {
        using var data = Images(64);
        using var model = RateDistortionModel.CreateBuilder()
            .WithInputShape(1, 28, 28).WithClasses(10).WithConvolutional().WithLatentSize(8).WithSamples(2)
            .WithGaussianDecoder(0.5).WithMixturePrior(4).WithSeed(5).Build();
        Train(model, data);
        using var noise = Noise(model, data.Count, seed: 12);
        string dataFile = WriteData(data, noise);
        var expected = model.EvaluateWithNoise(data, noise, batchSize: 32);

        foreach (var format in new[] { PyTorchFormat.StateDict, PyTorchFormat.Safetensors })
        {
            string weights = PathOf(format == PyTorchFormat.StateDict ? "conv.pt" : "conv.safetensors");
            model.SavePyTorch(weights, format);
            AssertSame($"C# → PyTorch, conv + mixture + Gaussian, {format}", expected, EvaluateInPython(weights, dataFile, batchSize: 32));
        }
    }

    public static TheoryData<string, string> PythonMade => new()
    {
        { "mlp", "state_dict" },
        { "mlp", "safetensors" },
        { "conv", "state_dict" }, // the conv model's batch norms (running statistics, int64 counters) from torch.save; its safetensors path is the MLP's
    };

    [Theory]
    [MemberData(nameof(PythonMade))]
    public void WeightsMadeInPyTorchLoadIntoCSharpWithTheSameFunctionals(string architecture, string format)
    {
        using var data = Images(architecture == "conv" ? 64 : 300);
        using var model = architecture == "conv"
            ? RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithConvolutional().WithLatentSize(8).WithSamples(2).WithSeed(2).Build()
            : RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithMlp(64, 32).WithLatentSize(8).WithSamples(3).WithMixturePrior(3).WithSeed(2).Build();
        model.SavePyTorch(PathOf("template.safetensors"), PyTorchFormat.Safetensors); // writes template.config.json
        using var noise = Noise(model, data.Count, seed: 13);
        string dataFile = WriteData(data, noise);
        string weights = PathOf(format == "state_dict" ? "python.pt" : "python.safetensors");
        PythonTorch.Run("create", "--configuration", PathOf("template.config.json"), "--out", weights, "--format", format,
            "--seed", "7", "--train-data", dataFile, "--steps", architecture == "conv" ? "3" : "30", "--batch-size", architecture == "conv" ? "16" : "32");

        var before = StateBytes(model);
        model.LoadPyTorchWeights(weights);
        Assert.NotEqual(before, StateBytes(model)); // the weights did change
        var expected = EvaluateInPython(weights, dataFile, batchSize: 1000);
        var actual = model.EvaluateWithNoise(data, noise);

        AssertSame($"PyTorch → C#, {architecture}, {format}", expected, actual);
    }

    [Fact]
    public void ExplicitNoiseDrawnLikeTheEvaluationGeneratorReproducesEvaluateBitForBit()
    {
        using var data = Images(250);
        using var model = Mlp(seed: 4);
        const int BatchSize = 100;
        using var generator = new Generator(99);
        var draws = new List<Tensor>();
        for (long start = 0; start < data.Count; start += BatchSize)
        {
            draws.Add(randn([model.Samples, Math.Min(BatchSize, data.Count - start), model.Configuration.LatentSize], generator: generator));
        }

        using var noise = cat(draws, 1);
        draws.ForEach(d => d.Dispose());

        Assert.Equal(model.Evaluate(data, BatchSize, noiseSeed: 99), model.EvaluateWithNoise(data, noise, BatchSize));
        using var wrong = zeros(model.Samples, data.Count - 1, model.Configuration.LatentSize);
        var error = Assert.Throws<ArgumentException>(() => model.EvaluateWithNoise(data, wrong));
        Assert.Contains("[2, 250, 8]", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void SaveThenLoadRestoresEveryTensorBitForBitAndWritesTheConfiguration(PyTorchFormat format)
    {
        using var data = Images(100);
        using var source = Mlp(seed: 8);
        Train(source, data);
        string weights = PathOf("round." + (format == PyTorchFormat.StateDict ? "pt" : "safetensors"));
        source.SavePyTorch(weights, format);
        using var target = Mlp(seed: 9);

        target.LoadPyTorchWeights(weights);

        Assert.Equal(StateBytes(source), StateBytes(target));
        using var json = JsonDocument.Parse(File.ReadAllText(PathOf("round.config.json")));
        Assert.Equal(PyTorchWeights.ConfigurationFormat, json.RootElement.GetProperty("format").GetString());
        Assert.Equal("mlp", json.RootElement.GetProperty("configuration").GetProperty("architecture").GetString());
        Assert.Empty(Directory.GetFiles(directory, "*.tmp-*"));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void AFileOfAnotherArchitectureIsRefusedNamingTheTensorsAndTheWeightsAreUnchanged(PyTorchFormat format)
    {
        string extension = format == PyTorchFormat.StateDict ? ".pt" : ".safetensors";
        using (var narrower = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithMlp(32, 32).WithLatentSize(8).WithSamples(2).Build())
        {
            narrower.SavePyTorch(PathOf("narrow" + extension), format);
        }

        using (var conv = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithConvolutional().WithLatentSize(8).WithSamples(2).Build())
        {
            conv.SavePyTorch(PathOf("conv" + extension), format);
        }

        using var model = Mlp(seed: 1);
        var before = StateBytes(model);

        var shapes = Assert.Throws<InvalidDataException>(() => model.LoadPyTorchWeights(PathOf("narrow" + extension)));
        Assert.Contains("tensor 'encoder.features.1.weight' has shape [32, 784] in the file, [64, 784] in the model", shapes.Message, StringComparison.Ordinal);
        Assert.Contains("weights are unchanged", shapes.Message, StringComparison.Ordinal);
        var names = Assert.Throws<InvalidDataException>(() => model.LoadPyTorchWeights(PathOf("conv" + extension)));
        output.WriteLine(shapes.Message);
        output.WriteLine(names.Message);
        Assert.Contains("missing tensor 'encoder.features.1.weight' (shape [64, 784]); missing tensor 'encoder.features.1.bias'", names.Message, StringComparison.Ordinal);
        Assert.Matches(@"; and \d+ more\. ", names.Message); // the problems beyond the listed ones are counted

        Assert.Equal(before, StateBytes(model));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void ATruncatedFileIsRefusedAndTheWeightsAreUnchanged(PyTorchFormat format)
    {
        string weights = PathOf(format == PyTorchFormat.StateDict ? "whole.pt" : "whole.safetensors");
        using (var other = Mlp(seed: 2))
        {
            other.SavePyTorch(weights, format);
        }

        byte[] bytes = File.ReadAllBytes(weights);
        using var model = Mlp(seed: 1);
        var before = StateBytes(model);
        foreach (int length in new[] { bytes.Length / 2, bytes.Length - 1, 6 })
        {
            string truncated = PathOf(string.Create(CultureInfo.InvariantCulture, $"cut{length}{Path.GetExtension(weights)}"));
            File.WriteAllBytes(truncated, bytes[..length]);
            var error = Assert.Throws<InvalidDataException>(() => model.LoadPyTorchWeights(truncated));
            output.WriteLine($"{format}, {length} of {bytes.Length} bytes: {error.Message}");
            Assert.True(error.Message.Contains("truncated", StringComparison.Ordinal) || error.Message.Contains("neither", StringComparison.Ordinal), error.Message);
            Assert.Equal(before, StateBytes(model));
        }
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void AMissingTensorIsRefusedByNameAndTheWeightsAreUnchanged(PyTorchFormat format)
    {
        using (var other = Mlp(seed: 2))
        {
            other.SavePyTorch(PathOf("full.safetensors"), PyTorchFormat.Safetensors);
        }

        string partial = PathOf(format == PyTorchFormat.StateDict ? "partial.pt" : "partial.safetensors");
        using (var scope = NewDisposeScope())
        {
            var state = Safetensors.LoadStateDict(PathOf("full.safetensors"));
            Assert.True(state.Remove("encoder.logVariance.bias"));
            using var stream = File.Create(partial);
            if (format == PyTorchFormat.StateDict)
            {
                var ordered = new OrderedDictionary();
                foreach (var (name, tensor) in state)
                {
                    ordered.Add(name, tensor);
                }

                PyTorchPickler.PickleStateDict(stream, ordered);
            }
            else
            {
                Safetensors.SaveStateDict(stream, state);
            }
        }

        using var model = Mlp(seed: 1);
        var before = StateBytes(model);
        var error = Assert.Throws<InvalidDataException>(() => model.LoadPyTorchWeights(partial));

        Assert.Contains("missing tensor 'encoder.logVariance.bias' (shape [8])", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, StateBytes(model));
    }

    [Fact]
    public void AFileOfNeitherFormatANonFiniteTensorAndAMissingFileAreRefused()
    {
        using var model = Mlp(seed: 1);
        var before = StateBytes(model);
        File.WriteAllText(PathOf("notes.pt"), "these are not weights");
        Assert.Contains("neither a torch.save state_dict", Assert.Throws<InvalidDataException>(() => model.LoadPyTorchWeights(PathOf("notes.pt"))).Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => model.LoadPyTorchWeights(PathOf("absent.pt")));

        using (var scope = NewDisposeScope())
        {
            using var other = Mlp(seed: 2);
            other.SavePyTorch(PathOf("finite.safetensors"), PyTorchFormat.Safetensors);
            var state = Safetensors.LoadStateDict(PathOf("finite.safetensors"));
            state["decoder.0.bias"][0] = float.NaN;
            using var stream = File.Create(PathOf("nan.safetensors"));
            Safetensors.SaveStateDict(stream, state);
        }

        var nan = Assert.Throws<InvalidDataException>(() => model.LoadPyTorchWeights(PathOf("nan.safetensors")));
        Assert.Contains("tensor 'decoder.0.bias' holds non-finite values", nan.Message, StringComparison.Ordinal);
        Assert.Equal(before, StateBytes(model));
    }

    [Fact]
    public void PyTorchRefusesAFileOfAnotherArchitectureNamingTheTensors()
    {
        using (var narrower = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithMlp(32, 32).WithLatentSize(8).WithSamples(2).Build())
        {
            narrower.SavePyTorch(PathOf("narrow.pt"), PyTorchFormat.StateDict);
        }

        using var model = Mlp(seed: 1);
        model.SavePyTorch(PathOf("wide.pt"), PyTorchFormat.StateDict);
        using var noise = Noise(model, 10, seed: 1);
        using var data = Images(10);
        string dataFile = WriteData(data, noise);

        var error = Assert.Throws<InvalidOperationException>(() => PythonTorch.Run("evaluate", "--weights", PathOf("narrow.pt"), "--configuration", PathOf("wide.config.json"), "--data", dataFile));
        Assert.Contains("size mismatch for encoder.features.1.weight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASurfaceExportsEveryPointInOneCallWithAManifestThatPythonReads()
    {
        using var data = TestData.Prototypes(96, 3, 1);
        var plan = Core.Surface.SweepPlan.Grid([2.0, 1.0], [1.0]);
        var trainer = new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithConvergence(window: 1, relativeTolerance: 1e-9, maxEpochs: 2).WithTrainingDataEvaluation(false);
        static RateDistortionModel Small() => RateDistortionModel.CreateBuilder().WithInputShape(1, 4, 4).WithClasses(3).WithMlp(16).WithLatentSize(3).WithSamples(2).WithSeed(4).Build();
        var surface = new Core.Surface.SurfaceSweep(Small, trainer).WithRecordFile(PathOf("surface.jsonl")).Run(plan, data, data);

        var exported = surface.ExportPyTorch(PathOf("export"), PyTorchFormat.Safetensors);

        Assert.Equal([0, 1], exported.Select(p => p.Index));
        Assert.Equal(surface.Records.Select(r => r.Distortion), exported.Select(p => p.Distortion));
        foreach (var (point, record) in exported.Zip(surface.Records))
        {
            using var saved = surface.LoadModel(record);
            using var loaded = Small();
            loaded.LoadPyTorchWeights(Path.Combine(PathOf("export"), point.Weights));
            Assert.Equal(StateBytes(saved), StateBytes(loaded));
        }

        string listing = PythonTorch.RunCode(
            "import sys, freeenergy_torch as fe\n"
            + "for p in fe.load_surface(sys.argv[1] if len(sys.argv) > 1 else " + JsonSerializer.Serialize(PathOf("export")) + "):\n"
            + "    net = fe.RateDistortionNetwork(fe.load_configuration(p['configuration']))\n"
            + "    net.load_state_dict(fe.load_weights(p['weights']), strict=True)\n"
            + "    print(p['index'], float(p['lambda']), sum(t.numel() for t in net.state_dict().values()))\n");
        long parameters;
        using (var small = Small())
        {
            parameters = small.ParameterCount;
        }

        Assert.Equal(
            [string.Create(CultureInfo.InvariantCulture, $"0 2.0 {parameters}"), string.Create(CultureInfo.InvariantCulture, $"1 1.0 {parameters}")],
            listing.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void ThePythonExampleOfTheDocsIsTheFileInTheRepositoryAndPrintsWhatCSharpComputes(PyTorchFormat format)
    {
        string example = Path.Combine(PythonTorch.RepositoryRoot, "python", "examples", "evaluate_exported.py");
        string page = File.ReadAllText(Path.Combine(PythonTorch.RepositoryRoot, "docs", "interop.md")).Replace("\r\n", "\n", StringComparison.Ordinal);
        string marker = "<!-- file: python/examples/evaluate_exported.py -->\n```python\n";
        int start = page.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/interop.md shows python/examples/evaluate_exported.py under a '<!-- file: … -->' marker");
        int begin = start + marker.Length;
        string block = page[begin..page.IndexOf("\n```", begin, StringComparison.Ordinal)];
        Assert.Equal(File.ReadAllText(example).Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n'), block);

        using var data = Images(100);
        using var model = Mlp(seed: 6);
        Train(model, data);
        string weights = PathOf(format == PyTorchFormat.StateDict ? "model.pt" : "model.safetensors");
        model.SavePyTorch(weights, format);
        using var noise = Noise(model, data.Count, seed: 7);
        string dataFile = WriteData(data, noise);
        var f = model.EvaluateWithNoise(data, noise);

        string printed = PythonTorch.RunCode($"import runpy, sys; sys.argv = ['x', {JsonSerializer.Serialize(weights)}, {JsonSerializer.Serialize(dataFile)}]; runpy.run_path({JsonSerializer.Serialize(example)}, run_name='__main__')");

        output.WriteLine(printed);
        Assert.StartsWith(string.Create(CultureInfo.InvariantCulture, $"R = {f.Rate:F4}, D = {f.Distortion:F4}, C = {f.Classification:F4} nats (torch "), printed, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutAnInterpreterThatImportsTorchTheTestsFailWithTheInstallCommand()
    {
        var error = Assert.Throws<InvalidOperationException>(() => PythonTorch.Locate(["/nonexistent/python3", "/bin/false"]));
        Assert.Contains("/nonexistent/python3: cannot start", error.Message, StringComparison.Ordinal);
        Assert.Contains("/bin/false: exit code 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install -y --no-install-recommends python3-torch", error.Message, StringComparison.Ordinal);
    }

    private static RateDistortionModel Mlp(long seed) =>
        RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithMlp(64, 32).WithLatentSize(8).WithSamples(2).WithSeed(seed).Build();

    /// <summary>The first <paramref name="count"/> images of the shipped Fashion-MNIST test split, pixels in [0, 1].</summary>
    private static LabeledTensorDataset Images(int count)
    {
        using var all = FashionMnist.LoadShippedTestSplit();
        return all.Subset([.. Enumerable.Range(0, count).Select(i => (long)i)]);
    }

    private static void Train(RateDistortionModel model, LabeledTensorDataset data) =>
        new EquilibriumTrainer().WithAdam(1e-3).WithBatchSize(64).WithFixedEpochs(2).WithTrainingDataEvaluation(false)
            .Train(model, new Multipliers(lambda: 1, gamma: 5), data, data);

    /// <summary>ε for every example: [K, n, k] standard normal from a seeded generator.</summary>
    private static Tensor Noise(RateDistortionModel model, long count, ulong seed)
    {
        using var generator = new Generator(seed);
        return randn([model.Samples, count, model.Configuration.LatentSize], generator: generator);
    }

    /// <summary>Writes inputs, labels and ε to a safetensors file the Python side reads.</summary>
    private string WriteData(LabeledTensorDataset data, Tensor noise)
    {
        string path = PathOf("data.safetensors");
        using var stream = File.Create(path);
        Safetensors.SaveStateDict(stream, new Dictionary<string, Tensor> { ["inputs"] = data.Inputs, ["labels"] = data.Labels, ["noise"] = noise });
        return path;
    }

    private static Functionals EvaluateInPython(string weights, string dataFile, int batchSize)
    {
        string json = PythonTorch.Run("evaluate", "--weights", weights, "--data", dataFile, "--batch-size", batchSize.ToString(CultureInfo.InvariantCulture));
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return new Functionals(
            root.GetProperty("rate").GetDouble(), root.GetProperty("distortion").GetDouble(), root.GetProperty("classification").GetDouble(),
            root.GetProperty("accuracy").GetDouble(), root.GetProperty("count").GetInt64());
    }

    private void AssertSame(string what, Functionals expected, Functionals actual)
    {
        var (python, version) = PythonTorch.Interpreter;
        output.WriteLine($"{what} ({python}, torch {version}):");
        foreach (var (name, a, b) in new[] { ("R", expected.Rate, actual.Rate), ("D", expected.Distortion, actual.Distortion), ("C", expected.Classification, actual.Classification) })
        {
            double difference = Math.Abs(a - b);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: {a:R} vs {b:R}, |Δ| = {difference:E2}, relative {difference / Math.Max(Math.Abs(a), 1e-300):E2}"));
            Assert.True(difference <= Tolerance * Math.Max(1, Math.Abs(a)), $"{what}: {name} is {a} in one and {b} in the other (|Δ| = {difference}).");
        }

        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Accuracy, actual.Accuracy, 2e-3); // an argmax may flip on a near tie
    }

    private static List<byte[]> StateBytes(RateDistortionModel model)
    {
        using var scope = NewDisposeScope();
        return [.. model.Network.state_dict().Select(entry => entry.Value.cpu().bytes.ToArray())];
    }
}
