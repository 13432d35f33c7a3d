using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
using FreeEnergy.Datasets;
using static TorchSharp.torch;

namespace FreeEnergy.Benchmarks;

/// <summary>
/// The .NET worker of the <c>pytorch</c> benchmark (<see cref="PyTorchComparison"/>): one process with a fixed torch
/// thread count, set once at start-up (and with <c>--retain-memory</c>, <c>FreeEnergyRuntime.TryRetainFreedNativeMemory()</c>), that answers one JSON request per line on stdin with one JSON line on stdout.
/// A request <c>{"side": "library"|"raw"|"phases", "model": "mlp"|"conv", "samples": K, "steps": S}</c> runs one block of
/// S training steps on the shipped Fashion-MNIST split: "library" is one <c>EquilibriumTrainer.Train</c> epoch of S
/// batches of 64, "raw" one epoch of <see cref="RawTrainingLoop"/> (plain TorchSharp), "phases" the raw loop's steps
/// with forward, backward and optimiser timed apart. The answer is <c>{"wall": s, "cpu": s, "loss": J, "minorFaults": n,
/// "rssMiB": x}</c> (plus
/// <c>"forward"</c>, <c>"backward"</c>, <c>"optimizer"</c> seconds for "phases").
/// </summary>
internal static class StepWorker
{
    private const int BatchSize = 64;
    private static readonly Multipliers Multipliers = new(1, 1);

    public static int Run(string[] args)
    {
        int at = Array.IndexOf(args, "--threads");
        if (at < 0 || at + 1 >= args.Length || !int.TryParse(args[at + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int threads) || threads < 1)
        {
            Console.Error.WriteLine("step-worker --threads N [--retain-memory] (N ≥ 1): the worker process of the 'pytorch' benchmark; it reads JSON requests on stdin.");
            return 1;
        }

        FreeEnergyRuntime.SetThreadCount(threads);
        bool retained = args.Contains("--retain-memory") && FreeEnergyRuntime.TryRetainFreedNativeMemory();
        using var images = FashionMnist.LoadShippedTestSplit();
        using var evaluation = images.Subset(Range(images.Count - BatchSize, BatchSize));
        var pairs = new Dictionary<(string Model, int Samples), (RateDistortionModel Model, RawTrainingLoop Raw)>();
        var subsets = new Dictionary<int, LabeledTensorDataset>();
        var trainer = new EquilibriumTrainer().WithClassicRelaxation().WithFixedEpochs(1).WithTrainingDataEvaluation(false);
        using var shuffle = new Generator(3);
        using var noise = new Generator(2);
        var process = Process.GetCurrentProcess();
        Console.WriteLine(JsonSerializer.Serialize(new { ready = true, threads = get_num_threads(), interopThreads = get_num_interop_threads(), retainedFreedMemory = retained }));
        try
        {
            string? line;
            while ((line = Console.ReadLine()) is not null)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                using var request = JsonDocument.Parse(line);
                string side = request.RootElement.GetProperty("side").GetString()!;
                string modelName = request.RootElement.GetProperty("model").GetString()!;
                int samples = request.RootElement.GetProperty("samples").GetInt32();
                int steps = request.RootElement.GetProperty("steps").GetInt32();
                if (steps * BatchSize > images.Count - BatchSize)
                {
                    Console.Error.WriteLine($"{steps} steps need {steps * BatchSize} training images; the shipped split has {images.Count - BatchSize} besides the 64 held out.");
                    return 1;
                }

                if (!pairs.TryGetValue((modelName, samples), out var pair))
                {
                    pair = MatchedNetworks.Create(modelName == "conv", samples, MatchedNetworks.DefaultHidden);
                    pairs[(modelName, samples)] = pair;
                }

                if (!subsets.TryGetValue(steps, out var training))
                {
                    training = images.Subset(Range(0, steps * BatchSize));
                    subsets[steps] = training;
                }

                process.Refresh();
                long faults = MinorFaults();
                var cpu = process.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                double loss;
                double[]? phases = null;
                switch (side)
                {
                    case "library":
                        loss = trainer.Train(pair.Model, Multipliers, training, evaluation).Evaluation.Objective(Multipliers);
                        break;
                    case "raw":
                        loss = pair.Raw.TrainEpoch(training.Inputs, training.Labels, evaluation.Inputs, evaluation.Labels, shuffle, noise, Multipliers.Lambda, Multipliers.Gamma).MeanLoss;
                        break;
                    case "phases":
                        (loss, phases) = pair.Raw.TrainEpochByPhase(training.Inputs, training.Labels, shuffle, noise, Multipliers.Lambda, Multipliers.Gamma);
                        break;
                    default:
                        Console.Error.WriteLine($"Unknown side '{side}': expected library, raw or phases.");
                        return 1;
                }

                double wall = clock.Elapsed.TotalSeconds;
                process.Refresh();
                double cpuSeconds = (process.TotalProcessorTime - cpu).TotalSeconds;
                long minorFaults = MinorFaults() - faults;
                double rssMiB = process.WorkingSet64 / 1048576.0;
                Console.WriteLine(phases is null
                    ? JsonSerializer.Serialize(new { wall, cpu = cpuSeconds, loss, minorFaults, rssMiB })
                    : JsonSerializer.Serialize(new { wall, cpu = cpuSeconds, loss, minorFaults, rssMiB, forward = phases[0], backward = phases[1], optimizer = phases[2] }));
            }
        }
        finally
        {
            foreach (var (model, raw) in pairs.Values)
            {
                model.Dispose();
                raw.Dispose();
            }

            foreach (var subset in subsets.Values)
            {
                subset.Dispose();
            }
        }

        return 0;
    }

    /// <summary>The process's minor page faults so far (/proc/self/stat, field 10), or 0 where unavailable.</summary>
    private static long MinorFaults()
    {
        try
        {
            string stat = File.ReadAllText("/proc/self/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[7], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static long[] Range(long start, long count)
    {
        var indices = new long[count];
        for (long i = 0; i < count; i++)
        {
            indices[i] = start + i;
        }

        return indices;
    }
}
