using System.Diagnostics;
using System.Globalization;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Derivatives;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Processes;
using FreeEnergy.Core.Training;
using FreeEnergy.Datasets;
using static FreeEnergy.Benchmarks.BenchmarkArguments;

namespace FreeEnergy.Benchmarks;

/// <summary>
/// Quasi-static processes on the shipped Fashion-MNIST split (80/20 stratified), default MLP model, K = 2 (the
/// fluctuation estimator needs two samples per input), one torch thread: (1) an iso-classification path over λ
/// from 4 to 0.5 (geometric steps): the largest relative drift of C and the change of R and D; (2) transfer from
/// classes 0–4 to 5–9 (shared 10-way head) at constant C, against the authors' controller and fine-tuning on the
/// target for the same number of epochs: final target accuracy and C.
/// </summary>
internal static class ProcessBenchmarks
{
    public static int Run(string[] args)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine("process [--steps N] [--transfer-steps N] [--max-epochs N] [--gamma G] [--examples N] [--method controlled|predictor] [--ramp-epochs E] [--governed-checks N] [--dwell-checks N] [--halvings N] [--relax-end EPOCHS] [--lambda-end L] [--ki K] [--kp K] [--set-point-gain K] [--max-multiplier M] [--feedforward] [--reverse] [--start-cache DIR] [--records DIR] [--skip-iso] [--skip-transfer] [--skip-baselines]: iso-classification over λ 4 → 0.5 (and back with --reverse) and transfer 0–4 → 5–9 at constant C vs fine-tuning vs the authors' controller.");
            return 0;
        }

        int steps = Option(args, "--steps", 6);
        int transferSteps = Option(args, "--transfer-steps", 5);
        int maxEpochs = Option(args, "--max-epochs", 10);
        double gamma = Option(args, "--gamma", 2);
        int examples = Option(args, "--examples", 5000);
        string? cache = Option<string>(args, "--start-cache", null!);
        string? records = Option<string>(args, "--records", null!);
        if (records is not null)
        {
            Directory.CreateDirectory(records);
        }

        var method = Option(args, "--method", "controlled") == "predictor" ? ProcessMethod.PredictorCorrector : ProcessMethod.Controlled;
        var protocol = RampProtocol.Default with
        {
            RampEpochs = Option(args, "--ramp-epochs", RampProtocol.Defaults.RampEpochs),
            Feedforward = args.Contains("--feedforward"),
            MaxGovernedChecks = Option(args, "--governed-checks", RampProtocol.Defaults.MaxGovernedChecks),
            MaxDwellChecks = Option(args, "--dwell-checks", RampProtocol.Defaults.MaxDwellChecks),
            MaxHalvings = Option(args, "--halvings", RampProtocol.Defaults.MaxHalvings),
            Controller = ConstraintControllerOptions.Default with
            {
                IntegralGain = Option(args, "--ki", ConstraintControllerOptions.Defaults.IntegralGain),
                ProportionalGain = Option(args, "--kp", ConstraintControllerOptions.Defaults.ProportionalGain),
                SetPointGain = Option(args, "--set-point-gain", ConstraintControllerOptions.Defaults.SetPointGain),
                MaxMultiplier = Option(args, "--max-multiplier", ConstraintControllerOptions.Defaults.MaxMultiplier),
            },
        };
        FreeEnergyRuntime.SetThreadCount(1);
        using var all = FashionMnist.LoadShippedTestSplit();
        using var images = examples < all.Count ? all.StratifiedSubset(examples, 1) : all.StratifiedSubset(all.Count, 1);
        var (training, evaluation) = images.StratifiedSplit(evaluationFraction: 0.2, seed: 1);
        using (training)
        using (evaluation)
        {
            var relaxation = new EquilibriumTrainer().WithAdam(1e-3).WithConvergence(window: 2, relativeTolerance: 2e-3, maxEpochs: maxEpochs).WithLearningRateDecay(0.3, 1).WithTrainingDataEvaluation(false);
            var equilibrium = new EquilibriumTrainer().WithConvergence(window: 3, relativeTolerance: 1e-3, maxEpochs: 60).WithLearningRateDecay(0.3, 1).WithTrainingDataEvaluation(false);
            var process = new QuasiStaticProcess(relaxation, new EncoderFluctuationEstimator()).WithTolerance(0.02).WithMaxCorrections(4).WithMethod(method).WithProtocol(protocol);
            Console.WriteLine($"method {method}, {protocol}");
            var clock = Stopwatch.StartNew();
            if (!args.Contains("--skip-iso"))
            {
                var start = new Multipliers(4, gamma);
                using var model = StartModel(cache, "iso", () =>
                {
                    var fresh = Create();
                    var pre = equilibrium.Train(fresh, start, training, evaluation);
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  equilibrium at {start}: {pre.Epochs} epochs, converged {pre.Converged}, {clock.Elapsed.TotalSeconds:F0} s"));
                    return fresh;
                });
                if (records is not null)
                {
                    process = process.WithRecordFile(Path.Combine(records, "iso.jsonl"));
                }

                var path = Enumerable.Range(1, steps).Select(k => 4 * Math.Pow(0.5 / 4, (double)k / steps)).ToArray();
                var iso = process.IsoClassification(model, start, path, training, evaluation, progress: new ConsoleProgress(clock));
                Print(iso);
                var first = iso.Steps[0];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"iso-classification λ 4 → 0.5 in {steps} steps: largest |drift| of C {iso.MaxAbsoluteDrift:P2} (tolerance {iso.Tolerance:P0}, not held at [{string.Join(", ", iso.FailedSteps)}]); R {first.Rate:F2} → {iso.Final.Rate:F2}, D {first.Distortion:F2} → {iso.Final.Distortion:F2}; W = {iso.Work:F3}, ΔF = {iso.FreeEnergyChange:F3}, W − ΔF = {iso.Work - iso.FreeEnergyChange:F3}; {iso.TotalEpochs} epochs, {iso.TotalOptimizationSteps} steps, {iso.TotalCorrections} corrections/rollbacks, {clock.Elapsed.TotalSeconds:F0} s"));
                if (args.Contains("--reverse"))
                {
                    var back = process.Reverse(iso, model, training, evaluation, new ConsoleProgress(clock));
                    Print(back);
                    var loop = ProcessTrajectory.Hysteresis(iso, back);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"reverse: largest |drift| {back.MaxAbsoluteDrift:P2}, not held at [{string.Join(", ", back.FailedSteps)}], W − ΔF = {back.Work - back.FreeEnergyChange:F3}; loop work W_f + W_r = {loop.LoopWork:F3}; largest |ΔR| {loop.MaxRateGap:F3}, |ΔD| {loop.MaxDistortionGap:F3}, |ΔC| {loop.MaxClassificationGap:F4}, |Δγ| {loop.MaxFreeGap:F3} at matching λ; {clock.Elapsed.TotalSeconds:F0} s"));
                }
            }

            if (!args.Contains("--skip-transfer"))
            {
                var (sourceTraining, targetTraining) = training.SplitClasses([0, 1, 2, 3, 4], [5, 6, 7, 8, 9]);
                var (sourceEvaluation, targetEvaluation) = evaluation.SplitClasses([0, 1, 2, 3, 4], [5, 6, 7, 8, 9]);
                using (sourceTraining)
                using (targetTraining)
                using (sourceEvaluation)
                using (targetEvaluation)
                {
                    var tasks = new TaskMixture(sourceTraining, targetTraining, 0);
                    var tests = new TaskMixture(sourceEvaluation, targetEvaluation, 0);
                    var start = new Multipliers(2, 2);
                    string checkpoint = Path.Combine(Path.GetTempPath(), $"freeenergy-process-benchmark-{Environment.ProcessId}.fe");
                    try
                    {
                        using (var model = StartModel(cache, "transfer", () =>
                        {
                            var fresh = Create();
                            var pre = equilibrium.Train(fresh, start, sourceTraining, sourceEvaluation);
                            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  source equilibrium at {start}: {pre.Epochs} epochs, converged {pre.Converged}, C₀ = {pre.Evaluation.Classification:F4}, {clock.Elapsed.TotalSeconds:F0} s"));
                            return fresh;
                        }))
                        {
                            model.Save(checkpoint);
                            if (records is not null)
                            {
                                process = process.WithRecordFile(Path.Combine(records, "transfer.jsonl"));
                            }

                            double lambdaEnd = Option(args, "--lambda-end", start.Lambda);
                            double[]? lambdaPath = lambdaEnd == start.Lambda ? null : Enumerable.Range(1, transferSteps).Select(k => start.Lambda * Math.Pow(lambdaEnd / start.Lambda, (double)k / transferSteps)).ToArray();
                            var transfer = process.Transfer(model, start, tasks, tests, transferSteps, lambdaPath, progress: new ConsoleProgress(clock));
                            Print(transfer);
                            Summary("transfer at constant C", transfer);
                            int relaxEnd = Option(args, "--relax-end", 0);
                            if (relaxEnd > 0)
                            {
                                // Is the end point an equilibrium? Train on, at its fixed multipliers, on the target only.
                                var end = new Multipliers(transfer.Final.Lambda, transfer.Final.Gamma);
                                var before = model.Evaluate(targetEvaluation);
                                var settle = new EquilibriumTrainer().WithAdam(1e-3).WithFixedEpochs(relaxEnd).WithTrainingDataEvaluation(false);
                                var after = settle.Train(model, end, targetTraining, targetEvaluation).Evaluation;
                                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                                    $"end point relaxed {relaxEnd} epochs at {end} on the target: C {before.Classification:F4} → {after.Classification:F4} ({(after.Classification - before.Classification) / transfer.Target:P1} of C₀), R {before.Rate:F2} → {after.Rate:F2}, D {before.Distortion:F2} → {after.Distortion:F2}"));
                            }

                            if (args.Contains("--skip-baselines"))
                            {
                                return 0;
                            }

                            using var controlled = RateDistortionModel.Load(checkpoint);
                            var authors = process.TransferWithAuthorsController(controlled, start, tasks, tests, transferSteps, new AuthorsControllerOptions(maxPassesPerStep: 5), new ConsoleProgress(clock));
                            Print(authors);
                            Summary("authors' controller (cap 5 passes)", authors);
                            using var tuned = RateDistortionModel.Load(checkpoint);
                            var fineTuning = process.FineTune(tuned, start, tasks, tests, transfer.TotalEpochs, new ConsoleProgress(clock));
                            Summary($"fine-tuning at {start} ({transfer.TotalEpochs} epochs)", fineTuning);
                        }
                    }
                    finally
                    {
                        File.Delete(checkpoint);
                    }
                }
            }
        }

        return 0;
    }

    /// <summary>The start equilibrium: loaded from <paramref name="cache"/> when it holds one, otherwise trained (and saved there).</summary>
    private static RateDistortionModel StartModel(string? cache, string name, Func<RateDistortionModel> train)
    {
        string? file = cache is null ? null : Path.Combine(cache, name + "-start.fe");
        if (file is not null && File.Exists(file))
        {
            Console.Error.WriteLine($"  start equilibrium loaded from {file}");
            return RateDistortionModel.Load(file);
        }

        var model = train();
        if (file is not null)
        {
            Directory.CreateDirectory(cache!);
            model.Save(file);
        }

        return model;
    }

    private static RateDistortionModel Create() =>
        RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithSamples(2).WithSeed(1).Build();

    private static void Print(ProcessTrajectory trajectory)
    {
        Console.WriteLine($"| {trajectory.Kind} step | r | λ | γ | R | D | C | drift | held | corrections | epochs | accuracy | source acc. | target acc. |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var s in trajectory.Steps)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {s.Index} | {s.Ratio:F2} | {s.Lambda:F3} | {s.Gamma:F3} | {s.Rate:F3} | {s.Distortion:F2} | {s.Classification:F4} | {s.Drift:P2} | {s.WithinTolerance} | {s.Corrections} | {s.Epochs} | {s.Accuracy:F3} | {s.SourceAccuracy:F3} | {s.TargetAccuracy:F3} |"));
        }
    }

    private static void Summary(string name, ProcessTrajectory trajectory)
    {
        var last = trajectory.Final;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: final target accuracy {last.TargetAccuracy:P1}, target C {last.TargetClassification:F4} (C₀ = {trajectory.Target:F4}), source accuracy {last.SourceAccuracy:P1}, final (λ, γ) = ({last.Lambda:F3}, {last.Gamma:F3}), largest |drift| {trajectory.MaxAbsoluteDrift:P2}, not held at [{string.Join(", ", trajectory.FailedSteps)}], {trajectory.TotalEpochs} epochs"));
    }

    private sealed class ConsoleProgress(Stopwatch clock) : IProgress<ProcessStep>
    {
        public void Report(ProcessStep value) =>
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {value.Process} step {value.Index}: λ {value.Lambda:F3} γ {value.Gamma:F3} r {value.Ratio:F2} C {value.Classification:F4} drift {value.Drift:P2} ({value.Corrections} corrections, {value.Epochs} epochs) at {clock.Elapsed.TotalSeconds:F0} s"));
    }
}
