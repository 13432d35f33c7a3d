using System.Diagnostics;
using static FreeEnergy.Benchmarks.Statistics;

namespace FreeEnergy.Benchmarks;

/// <summary>Times an action several times after one timed warm-up run, and summarises the times.</summary>
internal static class Measurement
{
    /// <summary>The summary of one measurement, in milliseconds.</summary>
    /// <param name="First">Wall time of the first (cold) run.</param>
    /// <param name="Median">Median wall time of the measured runs.</param>
    /// <param name="Min">Fastest measured run.</param>
    /// <param name="Max">Slowest measured run.</param>
    /// <param name="MedianCpu">Median CPU time of the process (all threads) per measured run: less sensitive than wall time to other work on the machine.</param>
    public readonly record struct Result(double First, double Median, double Min, double Max, double MedianCpu);

    public static Result Time(int runs, Action action)
    {
        var process = Process.GetCurrentProcess();
        var clock = Stopwatch.StartNew();
        action();
        double first = clock.Elapsed.TotalMilliseconds;
        var times = new double[runs];
        var cpu = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            clock.Restart();
            action();
            times[i] = clock.Elapsed.TotalMilliseconds;
            process.Refresh();
            cpu[i] = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds;
        }

        Array.Sort(times);
        return new Result(first, Median(times), times[0], times[^1], Median(cpu));
    }

}
