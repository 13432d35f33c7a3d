using System.Globalization;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
using FreeEnergy.Datasets;
using static FreeEnergy.Benchmarks.BenchmarkArguments;

namespace FreeEnergy.Benchmarks;

/// <summary>
/// Issue 17: build the default MLP, train one epoch, dispose, N times, without ever calling the garbage
/// collector, and print the process's resident memory (RSS) and the live-tensor count after each cycle. Native
/// memory that only a finalizer frees shows as RSS growing by the model's size every cycle.
/// </summary>
internal static class DisposeLoop
{
    public static int Run(string[] args)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine("dispose-loop [--cycles N] [--images N] [--mode build|evaluate|train|raw|raw-nostep] [--collect]: build / train one epoch (or only evaluate, or nothing; raw: a plain TorchSharp MLP with TorchSharp's Adam, raw-nostep: without its step) / Dispose N times (default 30 on 2,000 images); prints RSS per cycle, no GC.Collect (with --collect: a forced collection after each cycle, for comparison).");
            return 0;
        }

        int cycles = Option(args, "--cycles", 30);
        int count = Option(args, "--images", 2000);
        int at = Array.IndexOf(args, "--mode");
        string mode = at >= 0 ? args[at + 1] : "train"; // build | evaluate | train | raw | raw-nostep
        bool collect = args.Contains("--collect"); // for comparison: what a forced collection frees
        FreeEnergyRuntime.SetThreadCount(1);
        using var all = FashionMnist.LoadShippedTestSplit();
        using var images = all.Subset([.. Enumerable.Range(0, (int)Math.Min(count, all.Count)).Select(i => (long)i)]);
        var trainer = new EquilibriumTrainer().WithFixedEpochs(1).WithTrainingDataEvaluation(false);
        Console.WriteLine("cycle  RSS MB  Δ MB  live tensors  gen-2 GCs");
        double first = Rss();
        double previous = first;
        for (int cycle = 1; cycle <= cycles; cycle++)
        {
            if (mode.StartsWith("raw", StringComparison.Ordinal))
            {
                RawCycle(mode);
            }
            else
            {
                using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithSeed(cycle).Build();
                if (mode == "train")
                {
                    trainer.Train(model, new Multipliers(1, 1), images);
                }
                else if (mode == "evaluate")
                {
                    model.Evaluate(images);
                }
            }

            if (collect)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }

            double rss = Rss();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{cycle,5}  {rss,6:F0}  {rss - previous,+5:F0}  {FreeEnergyRuntime.LiveTensorCount,12}  {GC.CollectionCount(2),9}"));
            previous = rss;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"growth after the first cycle: {(previous - first) / Math.Max(1, cycles):F1} MB per cycle on average"));
        return 0;
    }

    /// <summary>A plain TorchSharp loop (784-1024-784 MLP, 16 steps of TorchSharp's own Adam), for comparison with the library.</summary>
    private static void RawCycle(string mode)
    {
        using var net = TorchSharp.torch.nn.Sequential(TorchSharp.torch.nn.Linear(784, 1024), TorchSharp.torch.nn.ReLU(), TorchSharp.torch.nn.Linear(1024, 784));
        using var optimizer = TorchSharp.torch.optim.Adam(net.parameters(), 1e-3);
        for (int i = 0; i < 16; i++)
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            optimizer.zero_grad();
            var x = TorchSharp.torch.rand(64, 784);
            var loss = (net.call(x) - x).square().mean();
            loss.backward();
            if (mode == "raw")
            {
                optimizer.step(); // TorchSharp's Adam: its implicit native scalars keep temporaries for the finalizer
            }
        }
    }

    /// <summary>The resident set size in MB (from /proc on Linux, the working set elsewhere).</summary>
    internal static double Rss()
    {
        const string statm = "/proc/self/statm";
        if (File.Exists(statm))
        {
            string[] fields = File.ReadAllText(statm).Split(' ');
            return long.Parse(fields[1], CultureInfo.InvariantCulture) * Environment.SystemPageSize / 1e6;
        }

        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.WorkingSet64 / 1e6;
    }

}
