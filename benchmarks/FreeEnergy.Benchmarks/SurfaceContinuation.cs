using System.Diagnostics;
using System.Globalization;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Surface;
using FreeEnergy.Core.Training;
using FreeEnergy.Datasets;
using static FreeEnergy.Benchmarks.BenchmarkArguments;

namespace FreeEnergy.Benchmarks;

/// <summary>
/// A 12-point sweep of the default MLP model on the shipped Fashion-MNIST split (by default λ ∈ {4, 2, 1, 0.5}
/// × γ ∈ {0, 1, 10}; <c>--lambdas</c> and <c>--gammas</c> choose others, in the order the chains run), once with
/// warm starts (continuation along λ for each γ) and once with independent training: total time and the
/// largest relative difference of R, D and C between the two. <c>--seed</c> changes the model's seed (the
/// scatter of independent training across seeds is the yardstick for the differences).
/// </summary>
internal static class SurfaceContinuation
{
    public static int Run(string[] args)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine("surface [--max-epochs N] [--samples K] [--tolerance T] [--window W] [--decays N] [--average EPOCHS] [--functional-tolerance F] [--mode both|warm|independent] [--records DIR] [--lambdas L1,L2,..] [--gammas G1,G2,..] [--seed S]:");
            Console.WriteLine("  warm-started vs independent 12-point sweep on the shipped split. With --records, each half writes (and resumes)");
            Console.WriteLine("  DIR/surface-warm.jsonl or DIR/surface-independent.jsonl, so the halves can run as two processes and be compared later.");
            return 0;
        }

        int maxEpochs = Option(args, "--max-epochs", 40);
        int samples = Option(args, "--samples", 1);
        int window = Option(args, "--window", 3);
        int decays = Option(args, "--decays", 0);
        double average = Number(args, "--average") ?? 0;
        double tolerance = Number(args, "--tolerance") ?? 2e-3;
        double? functionalTolerance = Number(args, "--functional-tolerance");
        string mode = Option(args, "--mode") ?? "both";
        string? records = Option(args, "--records");
        int seed = Option(args, "--seed", 1);
        double[] lambdas = List(args, "--lambdas") ?? [4.0, 2.0, 1.0, 0.5];
        double[] gammas = List(args, "--gammas") ?? [0.0, 1.0, 10.0];
        if (mode is not ("both" or "warm" or "independent"))
        {
            Console.Error.WriteLine($"--mode must be both, warm or independent; got '{mode}'.");
            return 1;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rule: relative change of J ≤ {tolerance} over {window} epochs, at most {maxEpochs} epochs, {decays} learning-rate cuts by 0.3, weight averaging over {average} epochs (0: none), functional tolerance {functionalTolerance?.ToString(CultureInfo.InvariantCulture) ?? "none"}; K = {samples}; mode {mode}; seed {seed}; λ ∈ {{{string.Join(", ", lambdas)}}} (chain order), γ ∈ {{{string.Join(", ", gammas)}}}"));
        FreeEnergyRuntime.SetThreadCount(1);
        using var images = FashionMnist.LoadShippedTestSplit();
        var (training, evaluation) = images.StratifiedSplit(evaluationFraction: 0.2, seed: 1);
        using (training)
        using (evaluation)
        {
            var plan = SweepPlan.Grid(lambdas, gammas);
            RateDistortionModel Create() => RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithSamples(samples).WithSeed(seed).Build();
            EquilibriumTrainer Trainer()
            {
                var trainer = new EquilibriumTrainer().WithConvergence(window: window, relativeTolerance: tolerance, maxEpochs: maxEpochs, functionalTolerance: functionalTolerance).WithTrainingDataEvaluation(false);
                trainer = average > 0 ? trainer.WithWeightAveraging(average) : trainer;
                return decays > 0 ? trainer.WithLearningRateDecay(0.3, decays) : trainer;
            }
            var progress = new ConsoleProgress();

            EquilibriumSurface? Sweep(bool independent)
            {
                var sweep = new SurfaceSweep(Create, Trainer());
                if (independent)
                {
                    sweep = sweep.WithIndependentTraining();
                }

                if (records is not null)
                {
                    sweep = sweep.WithRecordFile(Path.Combine(records, independent ? "surface-independent.jsonl" : "surface-warm.jsonl"));
                }

                var clock = Stopwatch.StartNew();
                var surface = sweep.Run(plan, training, evaluation, progress);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(independent ? "independent" : "warm-started")}: {clock.Elapsed.TotalSeconds:F0} s in this run, {surface.Records.Sum(r => r.Epochs)} epochs, {surface.Records.Sum(r => r.Seconds):F0} s of training recorded"));
                return surface;
            }

            var warm = mode is "both" or "warm" ? Sweep(independent: false) : null;
            var independent = mode is "both" or "independent" ? Sweep(independent: true) : null;
            if (records is not null)
            {
                string warmFile = Path.Combine(records, "surface-warm.jsonl"), independentFile = Path.Combine(records, "surface-independent.jsonl");
                warm ??= File.Exists(warmFile) ? EquilibriumSurface.Load(warmFile) : null;
                independent ??= File.Exists(independentFile) ? EquilibriumSurface.Load(independentFile) : null;
            }

            if (warm is not null && independent is not null && warm.Records.Count == independent.Records.Count)
            {
                Compare(warm, independent);
            }
        }

        return 0;
    }

    private static void Compare(EquilibriumSurface warm, EquilibriumSurface independent)
    {
        double Worst(Func<SurfaceRecord, double> f) => warm.Records.Zip(independent.Records, (w, c) => Math.Abs(f(w) - f(c)) / Math.Abs(f(c))).Max();
        Console.WriteLine("| λ | γ | warm R | warm D | warm C | warm epochs | indep. R | indep. D | indep. C | indep. epochs |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (w, c) in warm.Records.Zip(independent.Records))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {w.Lambda} | {w.Gamma} | {w.Rate:F2} | {w.Distortion:F2} | {w.Classification:F3} | {w.Epochs} | {c.Rate:F2} | {c.Distortion:F2} | {c.Classification:F3} | {c.Epochs} |"));
        }

        double warmSeconds = warm.Records.Sum(r => r.Seconds), independentSeconds = independent.Records.Sum(r => r.Seconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"warm-started: {warmSeconds:F0} s, {warm.Records.Sum(r => r.Epochs)} epochs; independent: {independentSeconds:F0} s, {independent.Records.Sum(r => r.Epochs)} epochs; speed-up {independentSeconds / warmSeconds:F2}x (time), {(double)independent.Records.Sum(r => r.Epochs) / warm.Records.Sum(r => r.Epochs):F2}x (epochs)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"largest relative difference: R {Worst(r => r.Rate):P2}, D {Worst(r => r.Distortion):P2}, C {Worst(r => r.Classification):P2}"));
    }

    private static double? Number(string[] args, string name)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? double.Parse(args[at + 1], CultureInfo.InvariantCulture) : null;
    }

    private static double[]? List(string[] args, string name) =>
        Option(args, name)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();

    private sealed class ConsoleProgress : IProgress<SweepProgress>
    {
        public void Report(SweepProgress value)
        {
            if (value.Training is null)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  point {value.Completed}/{value.Total} {value.Point.Multipliers} done at {value.Elapsed.TotalSeconds:F0} s"));
            }
        }
    }
}
