using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using FreeEnergy.Core.Cuda;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FreeEnergy.SystemInfo;

/// <summary>The report: one "name: value" line per fact, in a fixed order, for pasting into bug reports.</summary>
internal static class SystemReport
{
    private const int WarmupSteps = 3;
    private const int BatchSize = 64;

    /// <summary>Writes the report to <paramref name="output"/>; returns the process exit code (0, or 1 when the backend or device fails).</summary>
    public static int Run(TextWriter output, SystemInfoOptions options)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(options);
        void Line(string name, object value) => output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name + ":",-22} {value}"));

        output.WriteLine("FreeEnergy system information (paste this into bug reports)");
        Line("FreeEnergy.Core", VersionOf(typeof(RateDistortionModel).Assembly));
        Line("FreeEnergy.Core.Cuda", VersionOf(typeof(CudaDevices).Assembly));
        Line("TorchSharp", VersionOf(typeof(torch).Assembly));
        Line("OS", $"{RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})");
        Line(".NET runtime", $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier}, {RuntimeInformation.ProcessArchitecture} process)");
        Line("Processors", Environment.ProcessorCount);
        try
        {
            FreeEnergyRuntime.EnsureBackend();
        }
        catch (FreeEnergyBackendException ex)
        {
            Line("Backend", $"FAILED TO LOAD ({ex.Cause})");
            output.WriteLine(ex.Message);
            return 1;
        }

        if (options.Threads is int threads)
        {
            FreeEnergyRuntime.SetThreadCount(threads);
        }

        Line("libtorch", torch.__version__);
        Line("Backend", CudaDevices.HasCudaBackend ? "cuda (CUDA build of libtorch)" : "cpu (CPU build of libtorch; no CUDA bundle)");
        var cuda = CudaDevices.Check(options.CudaIndex);
        Line("CUDA available", CudaDevices.IsAvailable ? "yes" : $"no ({cuda})");
        int count = CudaDevices.Count;
        Line("CUDA devices", count == 0 ? "0" : $"{count} ({string.Join(", ", Enumerable.Range(0, count).Select(i => $"cuda:{i}"))})");
        Line("cuDNN", CudaDevices.IsAvailable ? (CudaDevices.IsCudnnAvailable ? "yes" : "no") : "n/a");
        Line("TF32", $"matmul {OnOff(TensorFloat32.MatMul)}, cudnn {OnOff(TensorFloat32.Cudnn)}");
        Line("Threads", $"intra-op {torch.get_num_threads()}, inter-op {torch.get_num_interop_threads()}");

        torch.Device device;
        try
        {
            device = options.Device switch
            {
                "cpu" => new torch.Device(DeviceType.CPU),
                "cuda" => CudaDevices.Require(options.CudaIndex),
                _ => CudaDevices.Select(options.CudaIndex).Device,
            };
        }
        catch (FreeEnergyBackendException ex)
        {
            Line("Device", $"FAILED ({ex.Cause})");
            output.WriteLine(ex.Message);
            return 1;
        }

        Line("Device", device);
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).OnDevice(device).WithSeed(1).Build();
        string shape = $"MLP 784-{string.Join("-", model.Configuration.HiddenSizes)}-{model.Configuration.LatentSize}, {model.ParameterCount:N0} parameters, batch {BatchSize}, K = {model.Samples}";
        Line("Model", $"default RateDistortionModel ({shape})");
        var step = TimeTrainingStep(model, options.Steps);
        Line("Training step", $"median {Ms(step[step.Length / 2])} ms (min {Ms(step[0])}, max {Ms(step[^1])}) over {step.Length} Adam steps on {device}");
        var forward = TimeForward(model, options.Steps);
        Line("Forward (no grad)", forward);
        return 0;
    }

    /// <summary>Trains one epoch of <paramref name="steps"/> + warm-up steps on random data and returns the sorted step times.</summary>
    private static TimeSpan[] TimeTrainingStep(RateDistortionModel model, int steps)
    {
        long examples = (long)(steps + WarmupSteps + 2) * BatchSize;
        using var training = RandomData(examples, model.Device);
        using var evaluation = training.Subset([.. Enumerable.Range(0, BatchSize).Select(i => (long)i)]);
        var clock = new StepClock();
        new EquilibriumTrainer()
            .WithBatchSize(BatchSize)
            .WithConvergence(maxEpochs: 1)
            .WithProgressInterval(1)
            .WithTrainingDataEvaluation(false)
            .Train(model, new Multipliers(1, 1), training, evaluation, clock);
        return clock.StepTimes(WarmupSteps);
    }

    /// <summary>Uniform inputs in [0, 1] and random labels, drawn on the CPU and moved to <paramref name="device"/> once. The caller owns the result.</summary>
    private static LabeledTensorDataset RandomData(long examples, torch.Device device)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(1);
        using var cpu = new LabeledTensorDataset(rand([examples, 1, 28, 28], generator: generator), randint(0, 10, [examples], generator: generator));
        return cpu.To(device);
    }

    /// <summary>Times one forward pass without gradients with <see cref="DeviceTiming"/> (synchronised on CUDA).</summary>
    private static TimingSummary TimeForward(RateDistortionModel model, int iterations)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(2);
        var inputs = rand([BatchSize, 1, 28, 28], generator: generator).to(model.Device);
        var labels = randint(0, 10, [BatchSize], generator: generator).to(model.Device);
        return DeviceTiming.Measure(
            model.Device,
            () =>
            {
                using var noGrad = no_grad();
                using var terms = model.Forward(inputs, labels);
            },
            iterations,
            WarmupSteps);
    }

    private static string VersionOf(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? assembly.GetName().Version?.ToString()
        ?? "unknown";

    private static string OnOff(bool value) => value ? "on" : "off";

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("F2", CultureInfo.InvariantCulture);
}
