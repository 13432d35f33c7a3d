using System.Diagnostics;
using System.Globalization;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
using FreeEnergy.Datasets;
using static FreeEnergy.Benchmarks.Statistics;

namespace FreeEnergy.Benchmarks;

/// <summary>
/// Per-epoch training time of the default MLP model on the 10,000 shipped Fashion-MNIST images (28×28)
/// at K = 1 and K = 8, one torch thread: wall-clock and process CPU time (CPU time is robust to other
/// processes on a shared machine). The epoch's evaluation pass is timed separately.
/// </summary>
internal static class EpochTime
{
    public static int Run(string[] args)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine("epoch [--epochs N]: per-epoch training time of the default MLP at K = 1 and K = 8 on 10,000 images.");
            return 0;
        }

        int at = Array.IndexOf(args, "--epochs");
        int epochs = at >= 0 ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : 3;
        FreeEnergyRuntime.SetThreadCount(1);
        using var images = FashionMnist.LoadShippedTestSplit();
        foreach (int samples in new[] { 1, 8 })
        {
            using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithSamples(samples).WithSeed(1).Build();
            var trainer = new EquilibriumTrainer().WithFixedEpochs(1).WithTrainingDataEvaluation(false);
            var process = Process.GetCurrentProcess();
            var wall = new List<double>();
            var cpu = new List<double>();
            var evaluation = new List<double>();
            for (int epoch = 0; epoch <= epochs; epoch++)
            {
                process.Refresh();
                var cpuStart = process.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                var result = trainer.Train(model, new Multipliers(1, 1), images);
                double total = clock.Elapsed.TotalSeconds;
                process.Refresh();
                double cpuTotal = (process.TotalProcessorTime - cpuStart).TotalSeconds;
                var cpuEvalStart = process.TotalProcessorTime;
                clock.Restart();
                model.Evaluate(images);
                double eval = clock.Elapsed.TotalSeconds;
                process.Refresh();
                double cpuEval = (process.TotalProcessorTime - cpuEvalStart).TotalSeconds;
                if (epoch > 0)
                {
                    // The first epoch warms up (allocator, lazy initialisation) and is not counted. Train() ends
                    // with one evaluation pass (the convergence check); it is measured separately and subtracted.
                    wall.Add(total - eval);
                    cpu.Add(cpuTotal - cpuEval);
                    evaluation.Add(eval);
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"K = {samples}: training epoch (157 steps of 64) median {Median(wall):F2} s wall, {Median(cpu):F2} s CPU; evaluation pass {Median(evaluation):F2} s; {model.ParameterCount} parameters"));
        }

        return 0;
    }

}
