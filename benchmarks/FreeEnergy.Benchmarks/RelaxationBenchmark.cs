using System.Globalization;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
using FreeEnergy.Datasets;

namespace FreeEnergy.Benchmarks;

/// <summary>
/// Relaxation remedies of issue 13 against the classic trainer, on the data the main job uses (the shipped
/// Fashion-MNIST split, 5,000 images drawn stratified with seed 1, then 80/20: 4,000 training, 1,000
/// evaluation), the default MLP at K = 2, the surface rule (relative change of J ≤ 2·10⁻³ over 3 epochs, at
/// most 30 epochs). Every point is trained from a fresh model (no warm start). For each point and candidate:
/// final F on evaluation and training data, R, D, C (evaluation), epochs and seconds. <c>matched</c> is the
/// classic trainer run for exactly as many epochs as the candidate listed before it took at that point (the
/// equal-time control). With several seeds, the spread (max − min) / mean of R, D, C per point and candidate.
/// </summary>
internal static class RelaxationBenchmark
{
    private static readonly string[] Known = ["old", "ema", "cool", "ema+cool", "polish", "ema+polish", "var", "ema+cool+polish", "matched"];

    public static int Run(string[] args)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine("relaxation [--points L:G,L:G,..] [--candidates C1,C2,..] [--seeds S1,S2,..] [--max-epochs N] [--averaging E] [--cooldown N] [--polish N] [--polish-batch B] [--variance-factor V] [--fixed-epochs N]:");
            Console.WriteLine($"  candidates: {string.Join(", ", Known)} (default old,ema,ema+cool,matched); points default 4:0,4:10,2:1,1:10; seeds default 1;");
            Console.WriteLine("  --fixed-epochs N trains every candidate exactly N epochs (no stop rule).");
            return 0;
        }

        var points = (Text(args, "--points") ?? "4:0,4:10,2:1,1:10").Split(',').Select(p => p.Split(':')).Select(p => new Multipliers(Parse(p[0]), Parse(p[1]))).ToArray();
        string[] candidates = (Text(args, "--candidates") ?? "old,ema,ema+cool,matched").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        int[] seeds = [.. (Text(args, "--seeds") ?? "1").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
        int maxEpochs = (int)(Number(args, "--max-epochs") ?? 30);
        double averaging = Number(args, "--averaging") ?? 1;
        int cooldown = (int)(Number(args, "--cooldown") ?? 3);
        int polish = (int)(Number(args, "--polish") ?? 2);
        int polishBatch = (int)(Number(args, "--polish-batch") ?? 500);
        double varianceFactor = Number(args, "--variance-factor") ?? 3;
        int? fixedEpochs = Number(args, "--fixed-epochs") is double f ? (int)f : null;
        if (candidates.FirstOrDefault(c => !Known.Contains(c)) is string unknown || candidates[0] == "matched")
        {
            Console.Error.WriteLine($"Unknown or misplaced candidate in '{string.Join(",", candidates)}'; known: {string.Join(", ", Known)} ('matched' follows another).");
            return 1;
        }

        EquilibriumTrainer Trainer(string candidate, int? fixedEpochs)
        {
            var trainer = new EquilibriumTrainer().WithClassicRelaxation()
                .WithConvergence(window: 3, relativeTolerance: 2e-3, maxEpochs: fixedEpochs ?? maxEpochs, minEpochs: fixedEpochs ?? 1);
            foreach (string part in candidate.Split('+'))
            {
                trainer = part switch
                {
                    "ema" => trainer.WithWeightAveraging(averaging),
                    "cool" => trainer.WithCooldown(cooldown),
                    "polish" => trainer.WithPolish(polish, polishBatch),
                    "var" => trainer.WithVarianceHeadLearningRate(varianceFactor),
                    _ => trainer,
                };
            }

            return trainer;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rule: relative change of J ≤ 2e-3 over 3 epochs, at most {maxEpochs} epochs; averaging time constant {averaging} epochs, cooldown {cooldown} epochs to 0.01×, polish {polish} epochs at batch {polishBatch}, variance-head factor {varianceFactor}; MLP K = 2; seeds {string.Join(",", seeds)}"));
        FreeEnergyRuntime.SetThreadCount(1);
        using var images = FashionMnist.LoadShippedTestSplit();
        using var subset = images.StratifiedSubset(5_000, 1);
        var (training, evaluation) = subset.StratifiedSplit(evaluationFraction: 0.2, seed: 1);
        var rows = new List<(Multipliers M, string Candidate, int Seed, TrainingResult Result)>();
        using (training)
        using (evaluation)
        {
            Console.WriteLine("| λ | γ | seed | candidate | F eval | F train | R | D | C | epochs | converged | s | s/epoch |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (int seed in seeds)
            {
                foreach (var m in points)
                {
                    int previousEpochs = maxEpochs;
                    foreach (string candidate in candidates)
                    {
                        bool matched = candidate == "matched";
                        using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithSamples(2).WithSeed(seed).Build();
                        var result = Trainer(candidate, matched ? previousEpochs : fixedEpochs).Train(model, m, training, evaluation);
                        previousEpochs = matched ? previousEpochs : result.Epochs;
                        string name = matched ? string.Create(CultureInfo.InvariantCulture, $"old, {result.Epochs} epochs") : candidate;
                        rows.Add((m, name, seed, result));
                        var e = result.Evaluation;
                        double seconds = result.Elapsed.TotalSeconds;
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"| {m.Lambda} | {m.Gamma} | {seed} | {name} | {result.FreeEnergy:F2} | {result.Training!.Objective(m):F2} | {e.Rate:F3} | {e.Distortion:F2} | {e.Classification:F4} | {result.Epochs} | {result.Converged} | {seconds:F0} | {seconds / result.Epochs:F2} |"));
                    }
                }
            }
        }

        if (seeds.Length > 1)
        {
            Console.WriteLine();
            Console.WriteLine("| λ | γ | candidate | R spread | D spread | C spread | F eval spread (nats) | mean epochs |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|");
            foreach (var group in rows.GroupBy(r => (r.M, Candidate: r.Candidate.StartsWith("old, ", StringComparison.Ordinal) ? "matched" : r.Candidate)))
            {
                static double Spread(IEnumerable<double> values)
                {
                    var v = values.ToArray();
                    return (v.Max() - v.Min()) / Math.Abs(v.Average());
                }

                var results = group.Select(g => g.Result).ToArray();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {group.Key.M.Lambda} | {group.Key.M.Gamma} | {group.Key.Candidate} | {Spread(results.Select(r => r.Evaluation.Rate)):P1} | {Spread(results.Select(r => r.Evaluation.Distortion)):P2} | {Spread(results.Select(r => r.Evaluation.Classification)):P1} | {results.Max(r => r.FreeEnergy) - results.Min(r => r.FreeEnergy):F2} | {results.Average(r => r.Epochs):F1} |"));
            }
        }

        return 0;
    }

    private static double Parse(string value) => double.Parse(value, CultureInfo.InvariantCulture);

    private static double? Number(string[] args, string name) => Text(args, name) is string text ? Parse(text) : null;

    private static string? Text(string[] args, string name)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
