using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
using FreeEnergy.Datasets;
using static TorchSharp.torch;
using static FreeEnergy.Benchmarks.BenchmarkArguments;
using static FreeEnergy.Benchmarks.Statistics;

namespace FreeEnergy.Benchmarks;

/// <summary>
/// The library's overhead against a hand-written TorchSharp loop (<see cref="RawTrainingLoop"/>) doing the
/// same work, measured in one process with the two alternating: training throughput of the default MLP at
/// K = 1 and K = 8 and of the conv model, live-tensor growth over many training steps, and working set.
/// Writes a JSON object (<c>--json FILE</c>); the top-level throughput fields are those of the default MLP
/// at K = 1.
/// </summary>
internal static class OverheadBenchmark
{
    private const int BatchSize = 64;
    private static readonly Multipliers Multipliers = new(1, 1);

    public static int Run(string[] args)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine("""
                overhead [--json FILE] [--rounds N] [--block-steps N] [--conv-rounds N] [--conv-steps N]
                         [--steps-for-growth N] [--skip-conv] [--skip-small] [--only mlp-k1|mlp-k8|conv-k1|mlp-small-k1]
                         [--threads N]
                  Library training (EquilibriumTrainer.Train) against a raw TorchSharp loop computing the same
                  model, loss and Adam update, alternating in one process: default MLP at K = 1 and K = 8, conv
                  model; live tensors before and after N library steps; working set. Defaults: 15 rounds of 40
                  steps (MLP), 3 rounds of 20 steps (conv), 10,000 steps for the growth check (0 skips it).
                  A small MLP (784-32-16, twice the rounds) is added as a diagnostic of the fixed per-step cost.
                  '--json FILE' alone (as the first argument) is the same as 'overhead --json FILE'.
                  --threads N: torch threads (default 1).
                """);
            return 0;
        }

        string? jsonPath = Option(args, "--json");
        int rounds = int.Parse(Option(args, "--rounds") ?? "15", CultureInfo.InvariantCulture);
        int blockSteps = int.Parse(Option(args, "--block-steps") ?? "40", CultureInfo.InvariantCulture);
        int convRounds = int.Parse(Option(args, "--conv-rounds") ?? "3", CultureInfo.InvariantCulture);
        int convSteps = int.Parse(Option(args, "--conv-steps") ?? "20", CultureInfo.InvariantCulture);
        int growthSteps = int.Parse(Option(args, "--steps-for-growth") ?? "10000", CultureInfo.InvariantCulture);
        bool skipConv = args.Contains("--skip-conv");
        bool skipSmall = args.Contains("--skip-small");

        FreeEnergyRuntime.SetThreadCount(int.Parse(Option(args, "--threads") ?? "1", CultureInfo.InvariantCulture));
        string loadStart = LoadAverage();
        using var images = FashionMnist.LoadShippedTestSplit();
        if (blockSteps * BatchSize > images.Count - BatchSize)
        {
            Console.Error.WriteLine($"--block-steps {blockSteps} needs {blockSteps * BatchSize} training images; the shipped split has {images.Count} (64 are kept for evaluation).");
            return 1;
        }

        using var evaluation = images.Subset(Range(images.Count - BatchSize, BatchSize));
        var configurations = new List<ConfigurationResult>();
        var checks = new List<EquivalenceCheck>();
        var specs = new List<(string Name, bool Conv, int[] Hidden, int Samples, int Steps, int Rounds)>
        {
            ("mlp", false, MatchedNetworks.DefaultHidden, 1, blockSteps, rounds),
            ("mlp", false, MatchedNetworks.DefaultHidden, 8, blockSteps, rounds),
        };
        if (!skipSmall)
        {
            // A diagnostic, not a target: a network so small (784-32-16) that the fixed per-step cost of the
            // library's bookkeeping is a visible fraction of the step.
            specs.Add(("mlp-small", false, [32], 1, blockSteps, rounds * 2));
        }

        if (!skipConv)
        {
            specs.Add(("conv", true, MatchedNetworks.DefaultHidden, 1, convSteps, convRounds));
        }

        string? only = Option(args, "--only");
        foreach (var (name, conv, hidden, samples, steps, blockRounds) in specs)
        {
            if (only is not null && !string.Equals(only, string.Create(CultureInfo.InvariantCulture, $"{name}-k{samples}"), StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var check = CheckEquivalence(conv, hidden, samples, images, evaluation);
            checks.Add(check);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name} K = {samples}: equivalence check: first-batch loss library {check.LibraryLoss:R} raw {check.RawLoss:R} (|Δ| {Math.Abs(check.LibraryLoss - check.RawLoss):E2}); after {check.Steps} steps largest weight difference {check.LargestWeightDifference:E2}; evaluation J library {check.LibraryEvaluationObjective:R} raw {check.RawEvaluationObjective:R}"));
            if (!check.Passed)
            {
                Console.Error.WriteLine("The raw loop does not compute what the library computes: the comparison would be meaningless. Aborting.");
                return 2;
            }

            using var training = images.Subset(Range(0, steps * BatchSize));
            var result = Compare(name, conv, hidden, samples, steps, blockRounds, training, evaluation);
            var self = Process.GetCurrentProcess();
            result = result with { PeakWorkingSetMiBSoFar = self.PeakWorkingSet64 / 1048576.0 };
            configurations.Add(result);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name} K = {samples}: library {result.LibraryExamplesPerSecond:F1} examples/s, raw {result.RawExamplesPerSecond:F1} examples/s, overhead ratio (raw time / library time) {result.OverheadRatio:F3} wall (quartiles {result.OverheadRatioQuartile1:F3}–{result.OverheadRatioQuartile3:F3}), {result.CpuOverheadRatio:F3} thread CPU; {result.LibraryCpuMsPerStep:F2} vs {result.RawCpuMsPerStep:F2} ms CPU per step; live tensors {result.LiveTensorGrowth:+0;-0;0} over {result.LibrarySteps} library steps"));
        }

        var growth = growthSteps > 0 ? MeasureGrowth(images, evaluation, growthSteps) : new GrowthResult(0, 0, 0, 0, 0, 0, 0, 0, []);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"growth: live tensors {growth.Before} before and {growth.After} after {growth.Steps} training steps (growth {growth.After - growth.Before}); working set {growth.WorkingSetAfterWarmUpMiB:F1} MiB after warm-up, {growth.WorkingSetEndMiB:F1} MiB at the end, {growth.WorkingSetMinMiB:F1}–{growth.WorkingSetMaxMiB:F1} MiB between"));

        var process = Process.GetCurrentProcess();
        process.Refresh();
        double peak = process.PeakWorkingSet64 / 1048576.0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak working set of the process: {peak:F1} MiB"));
        if (jsonPath is not null)
        {
            WriteJson(jsonPath, configurations, checks, growth, peak, loadStart, LoadAverage());
            Console.WriteLine($"Wrote {jsonPath}");
        }

        return 0;
    }

    /// <summary>Times library and raw blocks of the same steps, alternating which goes first, after one warm-up block each.</summary>
    private static ConfigurationResult Compare(string name, bool conv, int[] hidden, int samples, int steps, int rounds, LabeledTensorDataset training, LabeledTensorDataset evaluation)
    {
        var matched = MatchedNetworks.Create(conv, samples, hidden);
        using var model = matched.Model;
        using var raw = matched.Raw;

        var trainer = new EquilibriumTrainer().WithClassicRelaxation().WithFixedEpochs(1).WithTrainingDataEvaluation(false);
        using var shuffle = new Generator(3);
        using var noise = new Generator(2);
        var process = Process.GetCurrentProcess();

        Block Time(Action action)
        {
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            long thread = ThreadCpuNanoseconds();
            var clock = Stopwatch.StartNew();
            action();
            double wall = clock.Elapsed.TotalSeconds;
            long threadAfter = ThreadCpuNanoseconds();
            process.Refresh();
            return new Block(wall, (process.TotalProcessorTime - cpu).TotalSeconds, thread < 0 ? double.NaN : (threadAfter - thread) / 1e9);
        }

        void Library() => trainer.Train(model, Multipliers, training, evaluation);
        void Raw() => raw.TrainEpoch(training.Inputs, training.Labels, evaluation.Inputs, evaluation.Labels, shuffle, noise, Multipliers.Lambda, Multipliers.Gamma);

        Time(Library);
        Time(Raw);
        var library = new List<Block>();
        var rawTimes = new List<Block>();
        long before = FreeEnergyRuntime.LiveTensorCount;
        for (int round = 0; round < rounds; round++)
        {
            // Adjacent blocks see about the same load from other processes; the order alternates so that
            // neither side always runs first.
            if (round % 2 == 0)
            {
                library.Add(Time(Library));
                rawTimes.Add(Time(Raw));
            }
            else
            {
                rawTimes.Add(Time(Raw));
                library.Add(Time(Library));
            }
        }

        long growth = FreeEnergyRuntime.LiveTensorCount - before;
        double examples = training.Count;
        double libraryWall = Median(library.Select(t => t.Wall));
        double rawWall = Median(rawTimes.Select(t => t.Wall));
        var wallRatios = library.Zip(rawTimes, (l, r) => r.Wall / l.Wall).ToArray();
        var threadRatios = library.Zip(rawTimes, (l, r) => r.ThreadCpu / l.ThreadCpu).ToArray();
        return new ConfigurationResult(
            name,
            samples,
            steps,
            rounds,
            examples / libraryWall,
            examples / rawWall,
            Median(wallRatios),
            Quantile(wallRatios, 0.25),
            Quantile(wallRatios, 0.75),
            Median(threadRatios),
            Median(library.Zip(rawTimes, (l, r) => r.ProcessCpu / l.ProcessCpu)),
            rawWall / libraryWall,
            libraryWall * 1000 / steps,
            rawWall * 1000 / steps,
            Median(library.Select(t => t.ThreadCpu)) * 1000 / steps,
            Median(rawTimes.Select(t => t.ThreadCpu)) * 1000 / steps,
            Median(library.Select(t => t.ProcessCpu)) * 1000 / steps,
            Median(rawTimes.Select(t => t.ProcessCpu)) * 1000 / steps,
            [.. library.Select(t => t.Wall)],
            [.. rawTimes.Select(t => t.Wall)],
            growth,
            (long)steps * rounds);
    }

    /// <summary>CPU time of the calling thread in ns (Linux: /proc/thread-self/schedstat), or −1 where unavailable.</summary>
    private static long ThreadCpuNanoseconds()
    {
        try
        {
            string text = File.ReadAllText("/proc/thread-self/schedstat");
            return long.Parse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
        catch (UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>
    /// Checks that the raw loop computes what the library computes, from identical weights: the loss of one
    /// batch with identical noise, the weights after one epoch of a few steps with the same shuffling and
    /// noise (the raw loop seeds its generators as the library does: noise seed + 1, shuffle seed + 2), and
    /// the evaluation objective after it.
    /// </summary>
    private static EquivalenceCheck CheckEquivalence(bool conv, int[] hidden, int samples, LabeledTensorDataset images, LabeledTensorDataset evaluation)
    {
        const int Steps = 4;
        const long Seed = 1;
        using var model = MatchedNetworks.Build(conv, samples, hidden);
        using var raw = new RawTrainingLoop(conv, samples, hidden);
        string checkpoint = Path.Combine(Path.GetTempPath(), $"fe-check-{Environment.ProcessId}.bin");
        model.Save(checkpoint);
        raw.LoadCheckpoint(checkpoint);
        using var training = images.Subset(Range(0, Steps * BatchSize));

        double libraryLoss, rawLoss;
        using (var scope = NewDisposeScope())
        {
            var x = training.Inputs.narrow(0, 0, BatchSize);
            var y = training.Labels.narrow(0, 0, BatchSize);
            using (var libraryNoise = new Generator(11))
            using (var terms = model.Forward(x, y, libraryNoise))
            {
                libraryLoss = terms.Objective(Multipliers).item<float>();
            }

            using var rawNoise = new Generator(11);
            rawLoss = raw.Loss(x, y, rawNoise, Multipliers.Lambda, Multipliers.Gamma).item<float>();
        }

        // Forward in training mode updates batch-norm statistics: start both again from the saved weights.
        raw.LoadCheckpoint(checkpoint);
        using var reloaded = RateDistortionModel.Load(checkpoint);
        var result = new EquilibriumTrainer().WithClassicRelaxation().WithFixedEpochs(1).WithTrainingDataEvaluation(false)
            .Train(reloaded, Multipliers, training, evaluation);
        using var shuffle = new Generator(unchecked((ulong)Seed) + 2);
        using var noise = new Generator(unchecked((ulong)Seed) + 1);
        raw.TrainEpoch(training.Inputs, training.Labels, evaluation.Inputs, evaluation.Labels, shuffle, noise, Multipliers.Lambda, Multipliers.Gamma);

        // The library's evaluation inside Train uses its default evaluation noise: compare J with the raw
        // evaluation at the same noise seed.
        double[] evaluationSums = raw.Evaluate(evaluation.Inputs, evaluation.Labels, 1000, unchecked((ulong)Seed ^ 0x9E3779B97F4A7C15UL));
        double rawObjective = (evaluationSums[0] + (Multipliers.Lambda * evaluationSums[1]) + (Multipliers.Gamma * evaluationSums[2])) / evaluation.Count;

        reloaded.Save(checkpoint);
        using var trained = new RawTrainingLoop(conv, samples, hidden);
        trained.LoadCheckpoint(checkpoint);
        File.Delete(checkpoint);
        double largest = 0;
        var expected = trained.State();
        foreach (var (key, actual) in raw.State())
        {
            using var scope = NewDisposeScope();
            double difference = (actual.to(ScalarType.Float64) - expected[key].to(ScalarType.Float64)).abs().max().item<double>();
            largest = Math.Max(largest, difference);
        }

        double libraryObjective = result.Evaluation.Objective(Multipliers);
        bool passed = Math.Abs(libraryLoss - rawLoss) <= 1e-5 * Math.Max(1, Math.Abs(libraryLoss))
            && largest <= 1e-5
            && Math.Abs(libraryObjective - rawObjective) <= 1e-5 * Math.Max(1, Math.Abs(libraryObjective));
        return new EquivalenceCheck(conv ? "conv" : "mlp-" + string.Join('-', hidden), samples, libraryLoss, rawLoss, Steps, largest, libraryObjective, rawObjective, passed);
    }

    /// <summary>Live tensors and working set over many library training steps of the default MLP at K = 1.</summary>
    private static GrowthResult MeasureGrowth(LabeledTensorDataset images, LabeledTensorDataset evaluation, int steps)
    {
        int stepsPerEpoch = Math.Min(100, steps);
        int epochs = (steps + stepsPerEpoch - 1) / stepsPerEpoch;
        using var training = images.Subset(Range(0, stepsPerEpoch * BatchSize));
        using var model = MatchedNetworks.Build(false, 1, MatchedNetworks.DefaultHidden);
        var warmUp = new EquilibriumTrainer().WithClassicRelaxation().WithFixedEpochs(1).WithTrainingDataEvaluation(false);
        warmUp.Train(model, Multipliers, training, evaluation);
        warmUp.Train(model, Multipliers, training, evaluation);
        var process = Process.GetCurrentProcess();
        process.Refresh();
        double afterWarmUp = process.WorkingSet64 / 1048576.0;
        var samples = new List<double>();
        var progress = new WorkingSetProgress(process, samples);
        long before = FreeEnergyRuntime.LiveTensorCount;
        var trainer = new EquilibriumTrainer().WithClassicRelaxation().WithFixedEpochs(epochs).WithTrainingDataEvaluation(false);
        var clock = Stopwatch.StartNew();
        trainer.Train(model, Multipliers, training, evaluation, progress);
        double seconds = clock.Elapsed.TotalSeconds;
        long after = FreeEnergyRuntime.LiveTensorCount;
        process.Refresh();
        double end = process.WorkingSet64 / 1048576.0;
        return new GrowthResult((long)epochs * stepsPerEpoch, before, after, afterWarmUp, end, samples.Min(), samples.Max(), seconds, [.. samples]);
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

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static void WriteJson(string path, List<ConfigurationResult> configurations, List<EquivalenceCheck> checks, GrowthResult growth, double peakMiB, string loadStart, string loadEnd)
    {
        var top = configurations.Find(c => c.Model == "mlp" && c.Samples == 1) ?? configurations[0];
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("topLevelConfiguration", top.Model == "mlp" && top.Samples == 1
            ? string.Create(CultureInfo.InvariantCulture, $"default MLP (784-512-256-16, Bernoulli decoder, standard-normal prior), K = 1, batch 64, λ = 1, γ = 1, Adam 1e-3; median of {top.Rounds} rounds of {top.Steps} steps")
            : string.Create(CultureInfo.InvariantCulture, $"{top.Model}, K = {top.Samples} (the default MLP at K = 1 was not run)"));
        json.WriteNumber("libraryExamplesPerSecond", Math.Round(top.LibraryExamplesPerSecond, 2));
        json.WriteNumber("rawExamplesPerSecond", Math.Round(top.RawExamplesPerSecond, 2));
        json.WriteNumber("overheadRatio", Math.Round(top.OverheadRatio, 4));
        json.WriteNumber("cpuOverheadRatio", Math.Round(top.CpuOverheadRatio, 4));
        json.WriteNumber("peakWorkingSetMiB", Math.Round(peakMiB, 1));
        json.WriteNumber("liveTensorGrowth", growth.After - growth.Before);
        json.WriteNumber("liveTensorGrowthSteps", growth.Steps);
        json.WriteString("overheadRatioDefinition", "median over rounds of (raw wall time / library wall time) for adjacent blocks of the same steps; 1.0 = no overhead, < 1 = library slower. cpuOverheadRatio: the same with the CPU time of the training thread (all torch work runs on it with one torch thread), which other processes on the machine disturb much less");

        json.WriteStartArray("configurations");
        foreach (var c in configurations)
        {
            json.WriteStartObject();
            json.WriteString("model", c.Model);
            json.WriteString("description", c.Model switch
            {
                "mlp" => "default MLP 784-512-256-16 (1,079,770 parameters)",
                "conv" => "conv model (DCGAN-style encoder and decoder, batch norm)",
                _ => "small MLP 784-32-16: a diagnostic that exaggerates the fixed per-step cost, not a target",
            });
            json.WriteNumber("samples", c.Samples);
            json.WriteNumber("stepsPerBlock", c.Steps);
            json.WriteNumber("rounds", c.Rounds);
            json.WriteNumber("batchSize", BatchSize);
            json.WriteNumber("libraryExamplesPerSecond", Math.Round(c.LibraryExamplesPerSecond, 2));
            json.WriteNumber("rawExamplesPerSecond", Math.Round(c.RawExamplesPerSecond, 2));
            json.WriteNumber("overheadRatio", Math.Round(c.OverheadRatio, 4));
            json.WriteNumber("overheadRatioQuartile1", Math.Round(c.OverheadRatioQuartile1, 4));
            json.WriteNumber("overheadRatioQuartile3", Math.Round(c.OverheadRatioQuartile3, 4));
            json.WriteNumber("cpuOverheadRatio", Math.Round(c.CpuOverheadRatio, 4));
            json.WriteNumber("processCpuOverheadRatio", Math.Round(c.ProcessCpuOverheadRatio, 4));
            json.WriteNumber("ratioOfMedians", Math.Round(c.RatioOfMedians, 4));
            json.WriteNumber("libraryMillisecondsPerStep", Math.Round(c.LibraryMsPerStep, 3));
            json.WriteNumber("rawMillisecondsPerStep", Math.Round(c.RawMsPerStep, 3));
            json.WriteNumber("libraryCpuMillisecondsPerStep", Math.Round(c.LibraryCpuMsPerStep, 3));
            json.WriteNumber("rawCpuMillisecondsPerStep", Math.Round(c.RawCpuMsPerStep, 3));
            json.WriteNumber("cpuOverheadMicrosecondsPerStep", Math.Round((c.LibraryCpuMsPerStep - c.RawCpuMsPerStep) * 1000, 1));
            json.WriteNumber("libraryProcessCpuMillisecondsPerStep", Math.Round(c.LibraryProcessCpuMsPerStep, 3));
            json.WriteNumber("rawProcessCpuMillisecondsPerStep", Math.Round(c.RawProcessCpuMsPerStep, 3));
            WriteArray(json, "libraryBlockSeconds", c.LibraryBlockSeconds);
            WriteArray(json, "rawBlockSeconds", c.RawBlockSeconds);
            json.WriteNumber("liveTensorGrowth", c.LiveTensorGrowth);
            json.WriteNumber("liveTensorGrowthSteps", c.LibrarySteps);
            json.WriteNumber("processPeakWorkingSetMiBAfterThisConfiguration", Math.Round(c.PeakWorkingSetMiBSoFar, 1));
            json.WriteEndObject();
        }

        json.WriteEndArray();

        json.WriteStartArray("equivalenceChecks");
        foreach (var c in checks)
        {
            json.WriteStartObject();
            json.WriteString("model", c.Model);
            json.WriteNumber("samples", c.Samples);
            json.WriteNumber("libraryFirstBatchLoss", c.LibraryLoss);
            json.WriteNumber("rawFirstBatchLoss", c.RawLoss);
            json.WriteNumber("stepsCompared", c.Steps);
            json.WriteNumber("largestWeightDifference", c.LargestWeightDifference);
            json.WriteNumber("libraryEvaluationObjective", c.LibraryEvaluationObjective);
            json.WriteNumber("rawEvaluationObjective", c.RawEvaluationObjective);
            json.WriteBoolean("passed", c.Passed);
            json.WriteEndObject();
        }

        json.WriteEndArray();

        json.WriteStartObject("growth");
        json.WriteNumber("steps", growth.Steps);
        json.WriteNumber("liveTensorsBefore", growth.Before);
        json.WriteNumber("liveTensorsAfter", growth.After);
        json.WriteNumber("seconds", Math.Round(growth.Seconds, 1));
        json.WriteNumber("workingSetAfterWarmUpMiB", Math.Round(growth.WorkingSetAfterWarmUpMiB, 1));
        json.WriteNumber("workingSetEndMiB", Math.Round(growth.WorkingSetEndMiB, 1));
        json.WriteNumber("workingSetMinMiB", Math.Round(growth.WorkingSetMinMiB, 1));
        json.WriteNumber("workingSetMaxMiB", Math.Round(growth.WorkingSetMaxMiB, 1));
        WriteArray(json, "workingSetPerEpochMiB", [.. growth.WorkingSetSamples.Select(s => Math.Round(s, 1))]);
        json.WriteEndObject();

        json.WriteStartObject("machine");
        json.WriteNumber("logicalCores", Environment.ProcessorCount);
        json.WriteString("cpu", CpuModel());
        json.WriteNumber("torchThreads", FreeEnergyRuntime.ThreadCount);
        json.WriteString("os", RuntimeInformation.OSDescription);
        json.WriteString("dotnet", RuntimeInformation.FrameworkDescription);
        json.WriteString("torchSharp", typeof(TorchSharp.torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "unknown");
        json.WriteString("loadAverageAtStart", loadStart);
        json.WriteString("loadAverageAtEnd", loadEnd);
        json.WriteString("date", DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture));
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteArray(Utf8JsonWriter json, string name, double[] values)
    {
        json.WriteStartArray(name);
        foreach (double v in values)
        {
            json.WriteNumberValue(Math.Round(v, 4));
        }

        json.WriteEndArray();
    }

    private sealed record ConfigurationResult(
        string Model,
        int Samples,
        int Steps,
        int Rounds,
        double LibraryExamplesPerSecond,
        double RawExamplesPerSecond,
        double OverheadRatio,
        double OverheadRatioQuartile1,
        double OverheadRatioQuartile3,
        double CpuOverheadRatio,
        double ProcessCpuOverheadRatio,
        double RatioOfMedians,
        double LibraryMsPerStep,
        double RawMsPerStep,
        double LibraryCpuMsPerStep,
        double RawCpuMsPerStep,
        double LibraryProcessCpuMsPerStep,
        double RawProcessCpuMsPerStep,
        double[] LibraryBlockSeconds,
        double[] RawBlockSeconds,
        long LiveTensorGrowth,
        long LibrarySteps)
    {
        /// <summary>The process's peak working set when this configuration finished (configurations run in order).</summary>
        public double PeakWorkingSetMiBSoFar { get; init; }
    }

    private readonly record struct Block(double Wall, double ProcessCpu, double ThreadCpu);

    private sealed record EquivalenceCheck(string Model, int Samples, double LibraryLoss, double RawLoss, int Steps, double LargestWeightDifference, double LibraryEvaluationObjective, double RawEvaluationObjective, bool Passed);

    private sealed record GrowthResult(long Steps, long Before, long After, double WorkingSetAfterWarmUpMiB, double WorkingSetEndMiB, double WorkingSetMinMiB, double WorkingSetMaxMiB, double Seconds, double[] WorkingSetSamples);

    /// <summary>Records the working set at the end of every epoch (reported synchronously by the trainer).</summary>
    private sealed class WorkingSetProgress(Process process, List<double> samples) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.IsEndOfEpoch)
            {
                process.Refresh();
                samples.Add(process.WorkingSet64 / 1048576.0);
            }
        }
    }
}
