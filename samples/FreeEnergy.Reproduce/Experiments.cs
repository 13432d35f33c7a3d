using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FreeEnergy.Core.Cuda;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Derivatives;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Processes;
using FreeEnergy.Core.Surface;
using FreeEnergy.Core.Training;
using FreeEnergy.Core.Workers;
using FreeEnergy.Datasets;
using Microsoft.Extensions.Logging;

namespace FreeEnergy.Reproduce;

/// <summary>The three experiments, each writing its records files into the output folder.</summary>
/// <remarks>
/// The experiments that do not depend on each other run at once in the slots of one <see cref="WorkerPool"/> of
/// <c>--workers</c> slots (each on one torch thread): the surface's chains, iso-classification, and transfer with its
/// comparisons (the authors' controller beside the constant-C transfer; the two fine-tuning baselines after it, since
/// their budgets are its epochs and images). Slots go to the longest remaining path first (the transfer chain), so
/// the cores stay busy to the end. Every experiment's records come out the same for any number of workers.
/// </remarks>
internal sealed class Experiments(Settings settings, Budget budget, string outDirectory, ILoggerFactory loggerFactory, ConsoleUi ui)
{
    /// <summary>
    /// Slot priorities: the transfer chain is the longest path of <c>all</c> (its fine-tuning at equal images comes
    /// last); the surface's points and its repair (which runs alone after the last chain) next, so that the repair
    /// overlaps other work; the independent jobs (iso-classification, the authors' controller, fine-tuning at equal
    /// epochs) fill the slots that are left, to the end.
    /// </summary>
    private const int TransferPriority = 3, EqualImagesPriority = 2, SurfacePriority = 2, SidePriority = 1;

    /// <summary>Records file of the surface sweep.</summary>
    public const string SurfaceFile = "surface.jsonl";

    /// <summary>The checkpoint every chain of the surface starts from (and <c>.json</c> beside it: its record).</summary>
    public const string SharedStartFile = "surface-start.fe";

    /// <summary>Records file of the iso-classification process.</summary>
    public const string IsoClassificationFile = "iso-classification.jsonl";

    /// <summary>Records file of the transfer process at constant C.</summary>
    public const string TransferFile = "transfer.jsonl";

    /// <summary>Records file of the authors' transfer controller (the first comparison).</summary>
    public const string TransferAuthorsFile = "transfer-authors.jsonl";

    /// <summary>Records file of fine-tuning on the target task (the second comparison).</summary>
    public const string TransferFineTuneFile = "transfer-finetune.jsonl";

    /// <summary>Records file of fine-tuning on as many training images as the constant-C transfer processed (equal compute).</summary>
    public const string TransferFineTuneImagesFile = "transfer-finetune-images.jsonl";

    /// <summary>The iso-classification's end point trained on at its fixed multipliers (<see cref="EndpointRelaxation"/>).</summary>
    public const string IsoClassificationEndpointFile = "iso-classification-endpoint.json";

    /// <summary>The constant-C transfer's end point trained on at its fixed multipliers and r = 1.</summary>
    public const string TransferEndpointFile = "transfer-endpoint.json";

    private static readonly JsonSerializerOptions EndpointJson = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, Converters = { new JsonStringEnumConverter() } };

    private static readonly int[] SourceClasses = [0, 1, 2, 3, 4];
    private static readonly int[] TargetClasses = [5, 6, 7, 8, 9];

    private readonly ILogger logger = loggerFactory.CreateLogger("FreeEnergy.Reproduce");

    public void Run(Stage stages, CancellationToken cancellationToken)
    {
        var (training, evaluation) = LoadData();
        using (training)
        using (evaluation)
        {
            if ((stages & Stage.Certify) != 0)
            {
                Certify(training, evaluation);
            }

            var pool = new WorkerPool(settings.Workers);
            var jobs = new List<Action<CancellationToken>>();
            if ((stages & Stage.Transfer) != 0)
            {
                jobs.Add(token => Transfer(pool, training, evaluation, token));
            }

            if ((stages & Stage.IsoClassification) != 0)
            {
                jobs.Add(token => pool.Run(() => IsoClassification(training, evaluation, token), SidePriority, token));
            }

            if ((stages & Stage.Surface) != 0)
            {
                jobs.Add(token => Surface(pool, training, evaluation, token));
            }

            pool.RunAll(jobs, cancellationToken);
        }
    }

    private (LabeledTensorDataset Training, LabeledTensorDataset Evaluation) LoadData()
    {
        using var images = settings.DataDirectory is null ? FashionMnist.LoadShippedTestSplit() : FashionMnist.LoadAll(settings.DataDirectory);
        // A paper-scale run on a full folder uses every image unless --quick.
        int? examples = settings.DataDirectory is not null && !settings.Quick ? null : budget.Examples;
        if (examples is int count && count < images.Count)
        {
            using var subset = images.StratifiedSubset(count, settings.Seed);
            return Split(subset);
        }

        return Split(images);
    }

    private (LabeledTensorDataset Training, LabeledTensorDataset Evaluation) Split(LabeledTensorDataset data)
    {
        var (training, evaluation) = data.StratifiedSplit(evaluationFraction: 0.2, seed: settings.Seed);
        Log.Data(logger,
            settings.DataDirectory ?? "the shipped Fashion-MNIST test split", training.Count, evaluation.Count, settings.Convolutional ? "conv" : "mlp", settings.Cuda ? "cuda:0" : "cpu", settings.Seed, settings.Quick ? " (quick budget)" : string.Empty);
        if (!settings.Cuda)
        {
            return (training, evaluation);
        }

        // On a GPU, copy the data to the device once rather than once per batch and epoch.
        using (training)
        using (evaluation)
        {
            var device = CudaDevices.Require();
            return (training.To(device), evaluation.To(device));
        }
    }

    private RateDistortionModel CreateModel()
    {
        var builder = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithSamples(2).WithSeed(settings.Seed);
        if (settings.Cuda)
        {
            builder = builder.UseCuda();
        }

        return (settings.Convolutional ? builder.WithConvolutional() : builder).Build();
    }

    private void Surface(WorkerPool pool, LabeledTensorDataset training, LabeledTensorDataset evaluation, CancellationToken cancellationToken)
    {
        var plan = SweepPlan.Grid(budget.Lambdas, budget.Gammas);
        string path = Path.Combine(outDirectory, SurfaceFile);
        Log.SurfaceStart(logger,
            Join(budget.Lambdas), Join(budget.Gammas), budget.SweepMaxEpochs, path);
        // Weight averaging (issue 13): J measured on, and each point ending with, an exponential moving average of
        // the weights over 1 epoch; the classic constant-rate loop stopped warm-started points on noise. 162 epochs
        // against 127, every F lower (docs/performance.md, "Relaxation").
        var trainer = new EquilibriumTrainer()
            .WithWeightAveraging(1)
            .WithConvergence(window: 3, relativeTolerance: 2e-3, maxEpochs: budget.SweepMaxEpochs)
            .WithTrainingDataEvaluation(false);
        var start = pool.Run(() => RelaxSharedStart(pool, trainer, training, evaluation, cancellationToken), SurfacePriority, cancellationToken);
        var sweep = new SurfaceSweep(start.CreateModel, trainer).WithRecordFile(path).WithLogger(logger).WithWorkers(pool, SurfacePriority);
        int total = plan.Points.Count;
        var surface = SweepChains(sweep, plan, training, evaluation, total, cancellationToken);
        Log.SurfaceDone(logger, surface.Records.Count, surface.Records.Sum(r => r.Epochs));
        pool.Run(() => CertifyAndRepair(sweep, surface, training, evaluation, cancellationToken), SurfacePriority, cancellationToken);
    }

    /// <summary>
    /// The model every chain of the sweep starts from: relaxed for <see cref="Budget.StartEpochs"/> epochs at the first λ
    /// and the middle γ, kept in <see cref="SharedStartFile"/> (a resumed run loads it). From the initial weights the
    /// chains' first points stopped at least 30 nats above their minimum and failed the certificate (docs/reproducing.md).
    /// </summary>
    private SharedStart RelaxSharedStart(WorkerPool pool, EquilibriumTrainer sweepTrainer, LabeledTensorDataset training, LabeledTensorDataset evaluation, CancellationToken cancellationToken)
    {
        var at = new Multipliers(budget.Lambdas[0], budget.Gammas[budget.Gammas.Length / 2]);
        var trainer = sweepTrainer.WithFixedEpochs(budget.StartEpochs); // the sweep's relaxation (averaged weights), run for a fixed length
        string path = Path.Combine(outDirectory, SharedStartFile);
        string records = Path.Combine(outDirectory, SurfaceFile);
        if (File.Exists(records) && !File.Exists(path + ".json") && new FileInfo(records).Length > 0)
        {
            // Records of a release whose chains started from the initial weights: resuming them from a shared start would mix the two.
            throw new InvalidDataException($"'{records}' holds points whose chains started from the initial weights (written before the shared start, {SharedStartFile}); they cannot be continued from one. Use a fresh --out folder, or delete '{records}' and '{records}.models'.");
        }

        using var bar = ui.Stage("surface: shared start", budget.StartEpochs, "epochs");
        var start = SharedStart.Relax(CreateModel, trainer, at, training, evaluation, path, new SynchronousProgress<TrainingProgress>(t =>
        {
            if (t.IsEndOfEpoch)
            {
                bar.Update(t.Epoch, string.Create(CultureInfo.InvariantCulture, $"w{WorkerPool.CurrentWorker} {at} J = {t.Objective:F2}"));

                // Its 90 epochs must not keep the transfer, the longest path, waiting for a slot: between epochs it
                // lets a waiting job of at least its priority go first (the numbers do not change).
                pool.Yield(cancellationToken);
            }
        }), cancellationToken);
        bar.Finish();
        Log.SharedStart(logger, at.ToString(), start.FreeEnergy, start.Epochs, start.Resumed ? "kept from an earlier run" : string.Create(CultureInfo.InvariantCulture, $"{start.Elapsed.TotalSeconds:F1} s"), path);
        return start;
    }

    /// <summary>The sweep, its chains in the pool's slots (this thread only waits), with one progress line: what every worker trains.</summary>
    private EquilibriumSurface SweepChains(SurfaceSweep sweep, SweepPlan plan, LabeledTensorDataset training, LabeledTensorDataset evaluation, int total, CancellationToken cancellationToken)
    {
        using var bar = ui.Stage("surface", total, "points");
        var active = new SortedDictionary<int, string>();
        var surface = sweep.Run(plan, training, evaluation, new SynchronousProgress<SweepProgress>(p =>
        {
            active[p.Worker] = p.Training is { } t
                ? string.Create(CultureInfo.InvariantCulture, $"w{p.Worker} {p.Point.Multipliers} epoch {t.Epoch}/{t.MaxEpochs}")
                : string.Create(CultureInfo.InvariantCulture, $"w{p.Worker} {p.Point.Multipliers} done");
            bar.Update(p.Completed, string.Join("; ", active.Values));
        }), cancellationToken);
        return surface;
    }

    private void CertifyAndRepair(SurfaceSweep sweep, EquilibriumSurface surface, LabeledTensorDataset training, LabeledTensorDataset evaluation, CancellationToken cancellationToken)
    {

        // The certificate: which points are not at equilibrium, and by how much; then the repair loop on the failed points.
        var certificates = surface.CertifyAll(training, evaluation);
        foreach (var certificate in certificates)
        {
            ui.WriteResult(Certificates.Table(certificate, surface.Records, "certificate after the sweep"));
        }

        var before = certificates[^1]; // training data when the records have it: what the repair acts on
        if (settings.NoRepair)
        {
            ui.WriteResultLine(string.Create(CultureInfo.InvariantCulture, $"certificate: {Certificates.Write(outDirectory, certificates, null, null)}"));
            return;
        }

        var repairBudget = new RepairBudget(budget.RepairRounds, budget.RepairPoints);
        Log.RepairStart(logger, before.FailedPoints.Count, repairBudget.MaxRounds, repairBudget.MaxPoints);
        using var repairBar = ui.Stage("surface: repair", repairBudget.MaxRounds, "rounds");
        var repair = sweep.Repair(training, evaluation, repairBudget, new SynchronousProgress<RepairRound>(r =>
            repairBar.Update(r.Round, string.Create(CultureInfo.InvariantCulture, $"{r.Attempts.Count(a => a.Accepted)}/{r.Attempts.Count} kept, {r.Certificate.FailedPoints.Count} failing"))), cancellationToken);
        repairBar.Finish();
        Log.RepairDone(logger, repair.Stop.ToString(), repair.Rounds.Count, repair.Attempts.Count, repair.Attempts.Count(a => a.Accepted), repair.Epochs, repair.Elapsed.TotalSeconds);
        var after = repair.Surface.CertifyAll(training, evaluation);
        foreach (var certificate in after)
        {
            ui.WriteResult(Certificates.Table(certificate, repair.Surface.Records, "certificate after the repair"));
        }

        ui.WriteResultLine(string.Create(CultureInfo.InvariantCulture, $"certificate: {Certificates.Write(outDirectory, after, repair, before)}"));
    }

    /// <summary>The certificate of the surface records already in the output folder (paired standard errors from the checkpoints), without training.</summary>
    private void Certify(LabeledTensorDataset training, LabeledTensorDataset evaluation)
    {
        string path = Path.Combine(outDirectory, SurfaceFile);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"no surface records in '{outDirectory}' ({SurfaceFile}); run surface first.");
        }

        var surface = EquilibriumSurface.Load(path);
        var certificates = surface.CertifyAll(training, evaluation);
        foreach (var certificate in certificates)
        {
            ui.WriteResult(Certificates.Table(certificate, surface.Records, "certificate"));
        }

        ui.WriteResultLine(string.Create(CultureInfo.InvariantCulture, $"certificate: {Certificates.Write(outDirectory, certificates, null, null)}"));
    }

    /// <summary>
    /// The controlled processes' protocol: the library's defaults for iso-classification; for transfer a ramp of two
    /// epochs per step that waits for the network (at most 100 governed checks per step), γ at most 5 (2.5 γ₀) and
    /// no halving, the best of the variants measured on this split (docs/processes.md): a higher bound on γ lets it
    /// climb while the new classes are learnt, the rate it buys does not relax again, and C then falls below C₀ at the
    /// later steps. The quick budget dwells at most one epoch, governs at most 8 checks and never halves.
    /// </summary>
    private RampProtocol Protocol(bool transfer)
    {
        var protocol = transfer
            ? RampProtocol.Default with { RampEpochs = 2, MaxGovernedChecks = 100, MaxHalvings = 0, Controller = ConstraintControllerOptions.Default with { MaxMultiplier = 5 } }
            : RampProtocol.Default;
        return settings.Quick ? protocol with { MaxDwellChecks = 4, MaxGovernedChecks = 8, MaxHalvings = 0 } : protocol;
    }

    private QuasiStaticProcess Process(string recordFile, bool transfer = false) =>
        new QuasiStaticProcess(
                new EquilibriumTrainer().WithAdam(1e-3).WithConvergence(window: 2, relativeTolerance: 2e-3, maxEpochs: budget.RelaxMaxEpochs).WithLearningRateDecay(0.3, 1).WithTrainingDataEvaluation(false),
                new EncoderFluctuationEstimator())
            .WithTolerance(0.02)
            .WithMaxCorrections(budget.MaxCorrections)
            .WithProtocol(Protocol(transfer))
            .WithRecordFile(recordFile)
            .WithLogger(logger);

    private EquilibriumTrainer EquilibriumTrainer() =>
        new EquilibriumTrainer().WithConvergence(window: 3, relativeTolerance: 1e-3, maxEpochs: budget.EquilibriumMaxEpochs).WithLearningRateDecay(0.3, 1).WithTrainingDataEvaluation(false);

    private void ToEquilibrium(RateDistortionModel model, Multipliers start, LabeledTensorDataset training, LabeledTensorDataset evaluation, string name, CancellationToken cancellationToken)
    {
        using var bar = ui.Stage($"{name}: equilibrium at {start}", budget.EquilibriumMaxEpochs, "epochs");
        var result = EquilibriumTrainer().Train(model, start, training, evaluation, new SynchronousProgress<TrainingProgress>(p =>
        {
            if (p.IsEndOfEpoch)
            {
                bar.Update(p.Epoch, string.Create(CultureInfo.InvariantCulture, $"J = {p.EvaluationObjective:F2} nats"));
            }
        }), cancellationToken);
        bar.Finish();
        Log.Equilibrium(logger,
            name, start.ToString(), result.Epochs, result.Converged, result.Evaluation.Rate, result.Evaluation.Distortion, result.Evaluation.Classification);
    }

    private void IsoClassification(LabeledTensorDataset training, LabeledTensorDataset evaluation, CancellationToken cancellationToken)
    {
        string path = Path.Combine(outDirectory, IsoClassificationFile);
        var start = new Multipliers(4, 2);
        int steps = budget.IsoSteps;
        var lambdas = Enumerable.Range(1, steps).Select(k => 4 * Math.Pow(0.5 / 4, (double)k / steps)).ToArray();
        Log.IsoStart(logger, steps, path);
        using var model = CreateModel();
        ToEquilibrium(model, start, training, evaluation, "iso-classification", cancellationToken);
        using var bar = ui.Stage("iso-classification", steps + 1, "steps");
        var process = Process(path);
        var trajectory = process.IsoClassification(model, start, lambdas, training, evaluation,
            progress: StepReporter(bar), cancellationToken: cancellationToken);
        bar.Finish();
        Log.IsoDone(logger,
            trajectory.Target, trajectory.MaxAbsoluteDrift, string.Join(", ", trajectory.FailedSteps), trajectory.Steps[0].Rate, trajectory.Final.Rate,
            trajectory.Steps[0].Distortion, trajectory.Final.Distortion, trajectory.Work, trajectory.FreeEnergyChange);
        Endpoint("iso-classification", IsoClassificationEndpointFile, process.RelaxEndpoint(model, trajectory, training, evaluation, budget.EndpointEpochs, cancellationToken));
    }

    /// <summary>Logs and writes the test of a process's end point (<see cref="QuasiStaticProcess.RelaxEndpoint(RateDistortionModel, ProcessTrajectory, LabeledTensorDataset, LabeledTensorDataset, int, CancellationToken)"/>).</summary>
    private void Endpoint(string name, string file, EndpointRelaxation relaxed)
    {
        string path = Path.Combine(outDirectory, file);
        File.WriteAllText(path, JsonSerializer.Serialize(relaxed, EndpointJson) + Environment.NewLine);
        Log.Endpoint(logger,
            name, relaxed.Epochs, relaxed.Multipliers.Lambda, relaxed.Multipliers.Gamma, relaxed.Held.ToString(), relaxed.HeldBefore, relaxed.HeldAfter, relaxed.RelativeMove, relaxed.Goal, relaxed.DriftAfter,
            relaxed.StillHeld ? "still within the tolerance" : "outside the tolerance: the process did not end at an equilibrium", path);
    }

    /// <summary>
    /// Transfer from classes 0–4 to 5–9, three ways from the same source equilibrium at (2, 2): at constant C
    /// (γ predicted and corrected), with the authors' controller, and by fine-tuning on the target only for as
    /// many epochs, and as many images, as the constant-C transfer took. After the source equilibrium, the authors'
    /// controller runs beside the constant-C transfer; the two fine-tunings run after it (their budgets are its epochs and images).
    /// </summary>
    private void Transfer(WorkerPool pool, LabeledTensorDataset training, LabeledTensorDataset evaluation, CancellationToken cancellationToken)
    {
        string path = Path.Combine(outDirectory, TransferFile);
        var start = new Multipliers(2, 2);
        var (sourceTraining, targetTraining) = training.SplitClasses(SourceClasses, TargetClasses);
        var (sourceEvaluation, targetEvaluation) = evaluation.SplitClasses(SourceClasses, TargetClasses);
        using (sourceTraining)
        using (targetTraining)
        using (sourceEvaluation)
        using (targetEvaluation)
        {
            Log.TransferStart(logger, budget.TransferSteps, path);
            var tasks = new TaskMixture(sourceTraining, targetTraining, 0);
            var tests = new TaskMixture(sourceEvaluation, targetEvaluation, 0);

            // Every method starts from the same weights: the source equilibrium, kept in a checkpoint for the run.
            string checkpoint = Path.Combine(outDirectory, string.Create(CultureInfo.InvariantCulture, $".transfer-source-{Environment.ProcessId}.fe"));
            try
            {
                // The constant-C transfer goes on with the source equilibrium's model (as a serial run does); the
                // authors' controller starts from the checkpoint as soon as it is written.
                ProcessTrajectory? atConstantC = null, authors = null, fineTuned = null, fineTunedImages = null;
                int equalEpochs = 0;
                using var sourceReady = new ManualResetEventSlim();
                pool.RunAll(
                [
                    token =>
                    {
                        atConstantC = pool.Run(() => AtConstantC(checkpoint, sourceReady, start, sourceTraining, sourceEvaluation, tasks, tests, path, token), TransferPriority, token);
                        var last = atConstantC.Final;
                        Log.TransferDone(logger,
                            atConstantC.Target, atConstantC.MaxAbsoluteDrift, string.Join(", ", atConstantC.FailedSteps), last.TargetAccuracy, last.SourceAccuracy, last.Lambda, last.Gamma, atConstantC.TotalEpochs);

                        // Equal compute: a mixture step trains on a source and a target batch, a fine-tuning step on a target
                        // batch only, so equal images seen means about twice the fine-tuning epochs.
                        equalEpochs = (int)Math.Max(1, Math.Round((double)atConstantC.TotalExamplesSeen / targetTraining.Count));
                        int epochs = Math.Max(1, atConstantC.TotalEpochs);
                        pool.RunAll(
                        [
                            inner => fineTunedImages = pool.Run(() => FineTune(checkpoint, start, tasks, tests, equalEpochs, TransferFineTuneImagesFile, "as many training images as the constant-C transfer processed", inner), EqualImagesPriority, inner),
                            inner => fineTuned = pool.Run(() => FineTune(checkpoint, start, tasks, tests, epochs, TransferFineTuneFile, "as many epochs as the constant-C transfer took", inner), SidePriority, inner),
                        ], token);
                    },
                    token =>
                    {
                        WaitHandle.WaitAny([sourceReady.WaitHandle, token.WaitHandle]); // no slot held while waiting
                        token.ThrowIfCancellationRequested();
                        authors = pool.Run(() => AuthorsController(checkpoint, start, tasks, tests, token), SidePriority, token);
                    },
                ], cancellationToken);

                var final = atConstantC!.Final;
                Log.TransferComparison(logger,
                    final.TargetAccuracy, final.Classification, atConstantC.TotalEpochs,
                    authors!.Final.TargetAccuracy, authors.Final.Classification, authors.TotalEpochs,
                    fineTuned!.Final.TargetAccuracy, fineTuned.Final.Classification, fineTuned.TotalEpochs);
                Log.TransferEqualCompute(logger,
                    atConstantC.TotalExamplesSeen, atConstantC.TotalOptimizationSteps, final.TargetAccuracy, final.SourceAccuracy, final.Classification,
                    (long)equalEpochs * targetTraining.Count, equalEpochs, fineTunedImages!.Final.TargetAccuracy, fineTunedImages.Final.SourceAccuracy, fineTunedImages.Final.Classification,
                    (long)authors.TotalEpochs * 2 * Math.Max(sourceTraining.Count, targetTraining.Count), authors.Final.TargetAccuracy);
            }
            finally
            {
                File.Delete(checkpoint);
            }
        }
    }

    /// <summary>The source equilibrium (saved to <paramref name="checkpoint"/>, then <paramref name="ready"/> is set), the transfer at constant C from it, and the test of its end point.</summary>
    private ProcessTrajectory AtConstantC(string checkpoint, ManualResetEventSlim ready, Multipliers start, LabeledTensorDataset sourceTraining, LabeledTensorDataset sourceEvaluation, TaskMixture tasks, TaskMixture tests, string path, CancellationToken cancellationToken)
    {
        using var model = CreateModel();
        ToEquilibrium(model, start, sourceTraining, sourceEvaluation, "transfer", cancellationToken);
        model.Save(checkpoint);
        ready.Set();
        using var bar = ui.Stage("transfer at constant C", budget.TransferSteps + 1, "steps");
        var process = Process(path, transfer: true);
        var trajectory = process.Transfer(model, start, tasks, tests, budget.TransferSteps,
            progress: StepReporter(bar), cancellationToken: cancellationToken);
        bar.Finish();
        Endpoint("transfer at constant C", TransferEndpointFile, process.RelaxEndpoint(model, trajectory, tasks, tests, budget.EndpointEpochs, cancellationToken));
        return trajectory;
    }

    /// <summary>The authors' controller (λ → 0.5, γ += 0.1 per extra pass while C ≥ C₀), capped per step.</summary>
    private ProcessTrajectory AuthorsController(string checkpoint, Multipliers start, TaskMixture tasks, TaskMixture tests, CancellationToken cancellationToken)
    {
        string path = Path.Combine(outDirectory, TransferAuthorsFile);
        var options = new AuthorsControllerOptions(epochsPerPass: budget.AuthorsEpochsPerPass, maxPassesPerStep: budget.AuthorsMaxPasses);
        Log.AuthorsStart(logger, budget.TransferSteps, options.EpochsPerPass, options.MaxPassesPerStep, options.LambdaMin, options.GammaIncrement, path);
        using var model = RateDistortionModel.Load(checkpoint);
        using var bar = ui.Stage("transfer, authors' controller", budget.TransferSteps + 1, "steps");
        var trajectory = Process(path).TransferWithAuthorsController(model, start, tasks, tests, budget.TransferSteps, options,
            StepReporter(bar), cancellationToken);
        bar.Finish();
        var last = trajectory.Final;
        int steps = trajectory.Steps.Count - 1;
        Log.AuthorsDone(logger,
            trajectory.Target, steps - trajectory.FailedSteps.Count, steps, string.Join(", ", trajectory.FailedSteps), last.Classification, last.Drift,
            last.TargetAccuracy, last.SourceAccuracy, last.Lambda, last.Gamma, trajectory.TotalEpochs);
        return trajectory;
    }

    /// <summary>The baseline: train on the target task only at the starting multipliers for a fixed number of epochs.</summary>
    private ProcessTrajectory FineTune(string checkpoint, Multipliers start, TaskMixture tasks, TaskMixture tests, int epochs, string file, string why, CancellationToken cancellationToken)
    {
        string path = Path.Combine(outDirectory, file);
        Log.FineTuneStart(logger, start.Lambda, start.Gamma, epochs, why, path);
        using var model = RateDistortionModel.Load(checkpoint);
        using var bar = ui.Stage(string.Create(CultureInfo.InvariantCulture, $"transfer, fine-tuning ({epochs} epochs)"), 2, "steps");
        var trajectory = Process(path).FineTune(model, start, tasks, tests, epochs,
            StepReporter(bar), cancellationToken);
        bar.Finish();
        var last = trajectory.Final;
        Log.FineTuneDone(logger, last.Classification, last.Drift, trajectory.Target, last.TargetAccuracy, last.SourceAccuracy, trajectory.TotalEpochs);
        return trajectory;
    }

    /// <summary>Moves <paramref name="bar"/> to each finished step of a process (step 0 counts as the first).</summary>
    private static SynchronousProgress<ProcessStep> StepReporter(ConsoleUi.StageProgress bar) => new(s => bar.Update(s.Index + 1, StepDetail(s)));

    private static string StepDetail(ProcessStep s) =>
        string.Create(CultureInfo.InvariantCulture, $"λ {s.Lambda:F3} γ {s.Gamma:F3}{(s.Ratio is double r ? $" r {r:F2}" : string.Empty)} C {s.Classification:F4} drift {s.Drift:P2}");

    private static string Join(IEnumerable<double> values) => string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));
}
