using System.Diagnostics;
using System.Runtime.InteropServices;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Datasets;

namespace FreeEnergy.Benchmarks;

/// <summary>
/// The <c>datasets</c> command: median time to load Fashion-MNIST's shipped test split (embedded in
/// FreeEnergy.Datasets) and the full 70,000-image set from a directory (by default the Debian package's).
/// </summary>
internal static class DatasetLoading
{
    public static int Run(string[] args)
    {
        int runs = 5;
        int threads = 1;
        string directory = FashionMnist.DebianDirectory;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--runs" when i + 1 < args.Length && int.TryParse(args[i + 1], out runs) && runs >= 1:
                case "--threads" when i + 1 < args.Length && int.TryParse(args[i + 1], out threads) && threads >= 1:
                case "--directory" when i + 1 < args.Length:
                    if (args[i] == "--directory")
                    {
                        directory = args[i + 1];
                    }

                    i++;
                    break;
                default:
                    Console.Error.WriteLine("Usage: datasets [--runs N (5)] [--threads N (1)] [--directory DIR (" + FashionMnist.DebianDirectory + ")]");
                    return args[i] is "-h" or "--help" ? 0 : 1;
            }
        }

        FreeEnergyRuntime.SetThreadCount(threads);
        Console.WriteLine($"Dataset loading: median of {runs} runs after one warm-up run; {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, torch threads {FreeEnergyRuntime.ThreadCount}, load average {LoadAverage()}.");
        Console.WriteLine();
        Console.WriteLine($"| {"What",-62} | {"Images",7} | {"First (ms)",10} | {"Median (ms)",11} | {"Min–max (ms)",13} | {"CPU (ms)",8} |");
        Console.WriteLine($"| {new string('-', 62)} | {new string('-', 6)}: | {new string('-', 9)}: | {new string('-', 10)}: | {new string('-', 12)}: | {new string('-', 7)}: |");
        Report("Shipped test split (embedded, gzip)", () => FashionMnist.LoadShippedTestSplit());
        Report("Shipped test split, stochastic binarisation", () => FashionMnist.LoadShippedTestSplit(Binarization.Stochastic(1)));
        if (Directory.Exists(directory))
        {
            Report($"Test split from {directory}", () => FashionMnist.Load(directory, DatasetSplit.Test));
            Report($"Full set (train + test) from {directory}", () => FashionMnist.LoadAll(directory));
        }
        else
        {
            Console.WriteLine($"| Full set: skipped, '{directory}' does not exist (apt-get install dataset-fashion-mnist, or pass --directory) | | | | |");
        }

        Console.WriteLine();
        Console.WriteLine($"Peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB; load average {LoadAverage()}.");
        Console.WriteLine("First: the first, cold run (JIT, native library loading). Median, min–max: wall time of the measured runs. CPU: median process CPU time per run.");
        return 0;

        void Report(string what, Func<Core.Data.LabeledTensorDataset> load)
        {
            long count = 0;
            var result = Measurement.Time(runs, () =>
            {
                using var data = load();
                count = data.Count;
            });
            Console.WriteLine($"| {what,-62} | {count,7:N0} | {result.First,10:F0} | {result.Median,11:F0} | {$"{result.Min:F0}–{result.Max:F0}",13} | {result.MedianCpu,8:F0} |");
        }

        static string LoadAverage() =>
            File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
    }
}
