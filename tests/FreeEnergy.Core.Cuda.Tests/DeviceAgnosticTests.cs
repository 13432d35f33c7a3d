using FreeEnergy.Core.Data;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Cuda.Tests;

/// <summary>
/// Training, evaluation and checkpoints on every device available here (the CPU, and CUDA devices when
/// present); GPU-only facts skip with the reason when CUDA is absent.
/// </summary>
public sealed class DeviceAgnosticTests
{
    public static TheoryData<string> Devices => [.. TestDevices.WithData];

    public static TheoryData<string, string> DevicePairs => TestDevices.Pairs;

    private static RateDistortionModel SmallModel(string device, long seed = 5) =>
        RateDistortionModel.CreateBuilder().WithInputShape(4).WithClasses(3).WithMlp(8).WithLatentSize(3).WithSamples(2).WithSeed(seed).OnDevice(device).Build();

    private static LabeledTensorDataset SmallData(long seed = 11)
    {
        using var generator = new Generator(unchecked((ulong)seed));
        using var scope = NewDisposeScope();
        return new LabeledTensorDataset(rand([96, 4], generator: generator), randint(0, 3, [96], generator: generator));
    }

    private static TrainingResult TrainBriefly(RateDistortionModel model, LabeledTensorDataset data) =>
        new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithConvergence(maxEpochs: 2).Train(model, new Multipliers(1, 1), data);

    private static Dictionary<string, Tensor> CpuWeights(RateDistortionModel model) =>
        model.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().cpu());

    [Theory]
    [MemberData(nameof(Devices))]
    public void TrainingAndEvaluationKeepEveryTensorOnTheModelsDevice(string device)
    {
        using var model = SmallModel(device);
        using var cpuData = SmallData();
        using var data = cpuData.To(model.Device);
        Assert.True(TestDevices.IsOn(data.Inputs, model.Device));

        var result = TrainBriefly(model, data);
        Assert.True(double.IsFinite(result.FreeEnergy));
        Assert.All(model.Network.parameters(), p => Assert.True(TestDevices.IsOn(p, model.Device), $"parameter on {p.device}"));

        // Data left on the CPU is moved batch by batch by Forward: the same numbers, on the model's device.
        var fromCpu = model.Evaluate(cpuData, noiseSeed: 3);
        var fromDevice = model.Evaluate(data, noiseSeed: 3);
        if (model.Device.type == DeviceType.CPU)
        {
            Assert.Equal(fromDevice, fromCpu);
        }
        else
        {
            AssertClose(fromDevice, fromCpu, 1e-6);
        }

        using var scope = NewDisposeScope();
        using var terms = model.Forward(cpuData.Inputs.narrow(0, 0, 5), cpuData.Labels.narrow(0, 0, 5));
        Assert.All([terms.Rate, terms.Distortion, terms.Classification, terms.Correct], t => Assert.True(TestDevices.IsOn(t, model.Device), $"term on {t.device}"));
    }

    [Theory]
    [MemberData(nameof(DevicePairs))]
    public void ACheckpointSavedOnOneDeviceLoadsOnAnother(string from, string to)
    {
        string path = Path.Combine(Path.GetTempPath(), $"fe-cuda-tests-{Guid.NewGuid():N}.fem");
        try
        {
            using var data = SmallData();
            using var source = SmallModel(from);
            TrainBriefly(source, data);
            source.Save(path);
            var expected = CpuWeights(source);

            using var loaded = RateDistortionModel.Load(path, to);
            Assert.Equal(to, loaded.Configuration.Device);
            Assert.True(TestDevices.IsOn(loaded.Network.parameters().First(), new Device(to)));
            AssertWeightsEqual(expected, loaded);

            using var other = SmallModel(to, seed: 99);
            other.LoadWeights(path);
            AssertWeightsEqual(expected, other);

            var a = source.Evaluate(data, noiseSeed: 4);
            var b = loaded.Evaluate(data, noiseSeed: 4);
            if (new Device(from).type == new Device(to).type)
            {
                Assert.Equal(a, b);
            }
            else
            {
                AssertClose(a, b, 1e-4);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ACheckpointWrittenOnAGpuLoadsOnTheCpuWhenAskedTo()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fe-cuda-tests-{Guid.NewGuid():N}.fem");
        try
        {
            using var data = SmallData();
            using var source = SmallModel("cpu");
            TrainBriefly(source, data);
            source.Save(path);
            RewriteSavedDevice(path, "cuda:0");

            using var loaded = RateDistortionModel.Load(path, "cpu");
            Assert.Equal(DeviceType.CPU, loaded.Device.type);
            AssertWeightsEqual(CpuWeights(source), loaded);

            // The pattern for applications: load onto the GPU when there is one, else the CPU.
            using var preferred = RateDistortionModel.Load(path, CudaDevices.PreferCuda().ToString());
            AssertWeightsEqual(CpuWeights(source), preferred);

            if (!CudaDevices.IsAvailable)
            {
                // Keeping the saved device needs CUDA: the same clear error as Build(), pointing at device: "cpu".
                var ex = Assert.Throws<FreeEnergy.Core.Diagnostics.FreeEnergyBackendException>(() => RateDistortionModel.Load(path));
                Assert.Equal(FreeEnergy.Core.Diagnostics.BackendFailureCause.CudaUnavailable, ex.Cause);
                Assert.Contains("device: \"cpu\"", ex.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [CudaFact]
    public void OnCudaTheFunctionalsMatchTheCpusForTheSameSeeds()
    {
        using var tf32 = TensorFloat32.Scope(false);
        using var data = SmallData();
        using var cpu = SmallModel("cpu");
        using var gpu = SmallModel("cuda:0");
        AssertClose(cpu.Evaluate(data, noiseSeed: 8), gpu.Evaluate(data, noiseSeed: 8), 1e-4);
    }

    [CudaFact]
    public void OnCudaTrainingWorksWithDataOnEitherDevice()
    {
        using var cpuData = SmallData();
        using var gpuData = cpuData.To(CudaDevices.Require());
        using var first = SmallModel("cuda:0");
        using var second = SmallModel("cuda:0");
        var a = TrainBriefly(first, cpuData);
        var b = TrainBriefly(second, gpuData);
        Assert.True(double.IsFinite(a.FreeEnergy) && double.IsFinite(b.FreeEnergy));
        Assert.Equal(a.FreeEnergy, b.FreeEnergy, 1e-3 * Math.Max(1, Math.Abs(a.FreeEnergy)));
    }

    /// <summary>R, D and C agree to <paramref name="relative"/> (relative to max(1, |value|)); accuracy to 2 % (a near-tie may flip one argmax).</summary>
    private static void AssertClose(Functionals expected, Functionals actual, double relative)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Rate, actual.Rate, relative * Math.Max(1, Math.Abs(expected.Rate)));
        Assert.Equal(expected.Distortion, actual.Distortion, relative * Math.Max(1, Math.Abs(expected.Distortion)));
        Assert.Equal(expected.Classification, actual.Classification, relative * Math.Max(1, Math.Abs(expected.Classification)));
        Assert.Equal(expected.Accuracy, actual.Accuracy, 0.02);
    }

    private static void AssertWeightsEqual(Dictionary<string, Tensor> expected, RateDistortionModel model)
    {
        var actual = CpuWeights(model);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, weights) in expected)
        {
            Assert.True(weights.allclose(actual[name], rtol: 0, atol: 0), $"{name} differs after loading");
        }
    }

    /// <summary>Changes the device recorded in a checkpoint's JSON header, as if it had been saved there.</summary>
    private static void RewriteSavedDevice(string path, string device)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int length = BitConverter.ToInt32(bytes, 8);
        string json = System.Text.Encoding.UTF8.GetString(bytes, 12, length);
        Assert.Contains("\"device\":\"cpu\"", json, StringComparison.Ordinal);
        byte[] header = System.Text.Encoding.UTF8.GetBytes(json.Replace("\"device\":\"cpu\"", $"\"device\":\"{device}\"", StringComparison.Ordinal));
        using var stream = File.Create(path);
        stream.Write(bytes, 0, 8);
        stream.Write(BitConverter.GetBytes(header.Length));
        stream.Write(header);
        stream.Write(bytes, 12 + length, bytes.Length - 12 - length);
    }
}
