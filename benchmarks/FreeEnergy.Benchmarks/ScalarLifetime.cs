using System.Globalization;
using FreeEnergy.Core.Diagnostics;
using TorchSharp;
using static FreeEnergy.Benchmarks.BenchmarkArguments;
using static TorchSharp.torch;

namespace FreeEnergy.Benchmarks;

/// <summary>
/// The hazard behind docs/troubleshooting.md's "libtorch check failure on several workers": two threads call
/// <c>a.add_(b)</c> (TorchSharp passes an implicit Scalar alpha = 1 that only a finalizer frees) while a third
/// thread forces gen-0 collections; then the same with the Scalar held (<c>a.add_(b, one)</c>). Counts the calls that
/// threw or gave a wrong sum.
/// </summary>
internal static class ScalarLifetime
{
    public static int Run(string[] args)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine("scalar-lifetime [--seconds N]: two threads call a.add_(b) for N seconds (default 15) per variant while a third forces collections; prints calls, failures and collections for the implicit Scalar and for a held one.");
            return 0;
        }

        int seconds = Option(args, "--seconds", 15);
        FreeEnergyRuntime.SetThreadCount(1);
        foreach (bool held in new[] { false, true })
        {
            var (calls, wrong, thrown, collections, first) = Stress(held, TimeSpan.FromSeconds(seconds));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(held ? "held Scalar    " : "implicit Scalar")}: {calls:N0} calls, {thrown} threw, {wrong} wrong sums, {collections:N0} collections{(first is null ? string.Empty : $"; first failure: {first}")}"));
        }

        return 0;
    }

    private static (long Calls, long Wrong, long Thrown, long Collections, string? First) Stress(bool held, TimeSpan length)
    {
        using var one = 1.ToScalar();
        var stop = DateTime.UtcNow + length;
        long calls = 0, wrong = 0, thrown = 0, collections = 0;
        string? first = null;
        var workers = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            torch.set_num_threads(1);
            using var b = ones(16);
            while (DateTime.UtcNow < stop)
            {
                for (int j = 0; j < 1000; j++)
                {
                    using var a = zeros(16);
                    try
                    {
                        var sum = held ? a.add_(b, one) : a.add_(b);
                        if (sum.sum().item<float>() != 16f)
                        {
                            Interlocked.Increment(ref wrong);
                        }
                    }
                    catch (System.Runtime.InteropServices.ExternalException e)
                    {
                        Interlocked.Increment(ref thrown);
                        Interlocked.CompareExchange(ref first, e.Message.Split('\n')[0], null);
                    }

                    Interlocked.Increment(ref calls);
                }
            }
        })).ToList();
        var collector = new Thread(() =>
        {
            while (DateTime.UtcNow < stop)
            {
                var garbage = new byte[1000][];
                for (int i = 0; i < garbage.Length; i++)
                {
                    garbage[i] = new byte[100];
                }

                GC.Collect(0);
                Interlocked.Increment(ref collections);
            }
        });
        workers.ForEach(t => t.Start());
        collector.Start();
        workers.ForEach(t => t.Join());
        collector.Join();
        return (calls, wrong, thrown, collections, first);
    }
}
