// The code of docs/api-guide.md. Every region between "// snippet: NAME" and "// end-snippet" appears in that
// page verbatim (tests/FreeEnergy.Core.Tests/Docs/ApiGuideSnippetTests.cs checks it and runs every snippet), so
// edit the code here and copy the region into the page. Budgets are tiny so that each snippet runs in seconds;
// the comments say what a real run would use.
// snippet: usings
using FreeEnergy.Core.Cuda;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Derivatives;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Exact;
using FreeEnergy.Core.Identities;
using FreeEnergy.Core.Interop;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Processes;
using FreeEnergy.Core.Surface;
using FreeEnergy.Core.Training;
using FreeEnergy.Core.Workers;
using FreeEnergy.Datasets;
using Microsoft.Extensions.Logging;
using TorchSharp;
using TorchSharp.PyBridge;
// end-snippet

namespace FreeEnergy.ApiGuide;

/// <summary>The snippets of docs/api-guide.md, one method each.</summary>
public static class Snippets
{
    // snippet: load-data
    public static (LabeledTensorDataset Training, LabeledTensorDataset Evaluation) LoadData(int images = 1000)
    {
        // The Fashion-MNIST test split ships inside FreeEnergy.Datasets: 10,000 images [1, 28, 28], pixels in [0, 1].
        using var all = FashionMnist.LoadShippedTestSplit();
        using var subset = all.StratifiedSubset(images, seed: 1);           // class-balanced
        return subset.StratifiedSplit(evaluationFraction: 0.2, seed: 1);    // the caller owns both
    }
    // end-snippet

    // snippet: build-model
    public static void BuildModel()
    {
        using var model = RateDistortionModel.CreateBuilder()
            .WithInputShape(1, 28, 28)      // one input, without the batch dimension
            .WithClasses(10)                // linear softmax head on z (1 class makes C identically 0)
            .WithMlp(512, 256)              // the default; WithMlp() gives linear maps, WithConvolutional() the authors' DCGAN-style nets
            .WithLatentSize(16)             // k, the dimension of z (default 16)
            .WithSamples(2)                 // K samples of z per input (default 1; the authors use 8)
            .WithBernoulliDecoder()         // the default; WithGaussianDecoder(sigma) for real-valued inputs
            .WithStandardNormalPrior()      // the default; WithMixturePrior(components) learns the prior
            .OnDevice("cpu")                // the default; see the CUDA section for GPUs
            .WithSeed(1)                    // weights, z-noise and shuffling come from private generators
            .Build();
        Console.WriteLine($"{model.ParameterCount:N0} parameters on {model.Device}, K = {model.Samples}");
        Console.WriteLine($"hidden [{string.Join(", ", model.Configuration.HiddenSizes)}], latent {model.Configuration.LatentSize}, {model.Configuration.Likelihood} decoder");
    }
    // end-snippet

    // snippet: configuration-errors
    public static void ConfigurationErrors()
    {
        try
        {
            using var model = RateDistortionModel.CreateBuilder()
                .WithInputShape(1, 0, 28).WithClasses(0).WithSamples(0).WithGaussianDecoder(sigma: -1)
                .Build();
        }
        catch (FreeEnergyConfigurationException e)   // an ArgumentException; nothing was allocated
        {
            foreach (string problem in e.Problems)   // every problem at once
            {
                Console.WriteLine(problem);
            }
        }
    }
    // end-snippet

    // snippet: forward-pass
    public static void ForwardPass(LabeledTensorDataset training)
    {
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithSamples(4).Build();
        using var scope = torch.NewDisposeScope();                      // disposes every tensor made below
        var inputs = training.Inputs[..8];                               // [8, 1, 28, 28]
        var labels = training.Labels[..8];                               // [8]
        using BatchTerms terms = model.Forward(inputs, labels);           // per example (R) and per sample and example (D, C)
        Console.WriteLine($"R {string.Join("x", terms.Rate.shape)}, D {string.Join("x", terms.Distortion.shape)}, C {string.Join("x", terms.Classification.shape)}");
        var objective = terms.Objective(new Multipliers(lambda: 1, gamma: 10)); // batch mean of R + λD + γC, with its graph
        objective.backward();                                            // gradients for your own optimiser loop
        Console.WriteLine($"J = {objective.item<float>():F2} nats per example");
    }
    // end-snippet

    // snippet: train
    public static TrainingResult Train(LabeledTensorDataset training, LabeledTensorDataset evaluation)
    {
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithSeed(1).Build();
        var trainer = new EquilibriumTrainer()
            .WithAdam(learningRate: 1e-3)                                 // the defaults: Adam 1e-3, β = (0.9, 0.999)
            .WithBatchSize(64)
            .WithConvergence(window: 2, relativeTolerance: 5e-3, maxEpochs: 3) // a real run: window 3, 1e-3, 50 epochs
            .WithLearningRateDecay(factor: 0.3, times: 1);                // optional: meet the rule again after each cut
        var progress = new SynchronousProgress<TrainingProgress>(p =>
            Console.WriteLine($"epoch {p.Epoch}/{p.MaxEpochs}: training J = {p.Objective:F2}, evaluation J = {p.EvaluationObjective:F2} nats"));

        TrainingResult result = trainer.Train(model, new Multipliers(lambda: 1, gamma: 10), training, evaluation, progress);

        Functionals f = result.Evaluation;
        Console.WriteLine($"{result.Epochs} epochs, converged: {result.Converged}, {result.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"R = {f.Rate:F2}, D = {f.Distortion:F2}, C = {f.Classification:F3} nats, accuracy {f.Accuracy:P1}, F = {result.FreeEnergy:F2}");
        return result;
    }
    // end-snippet

    // snippet: convergence-rule
    public static void ConvergenceRules()
    {
        // Converged when |J_t − J_(t−window)| ≤ relativeTolerance·|J_t|, after at least minEpochs, at most maxEpochs.
        var rule = new ConvergenceRule(window: 2, relativeTolerance: 1e-3, maxEpochs: 50, minEpochs: 1,
            functionalTolerance: 5e-3);                                   // and each of R, D, C settled within 0.5%
        double[] history = [250.0, 240.0, 239.9, 239.8];                  // J on the evaluation data after each epoch
        Console.WriteLine($"relative change {rule.RelativeChange(history):G3}, converged: {rule.IsConverged(history)}");
        var longer = rule with { MaxEpochs = 100 };                       // an immutable record: `with` makes a changed copy
        var budget = ConvergenceRule.FixedEpochs(5);                      // exactly 5 epochs: a fixed budget, no early stop
        var trainer = new EquilibriumTrainer().WithConvergence(rule);     // or WithConvergence(window: …, …), WithFixedEpochs(5)
        Console.WriteLine($"trainer: window {trainer.Convergence.Window}, at most {trainer.Convergence.MaxEpochs} epochs");
        Console.WriteLine($"copies: at most {longer.MaxEpochs} epochs; {budget.MinEpochs} to {budget.MaxEpochs} epochs");
    }
    // end-snippet

    // snippet: settings
    public static void Settings()
    {
        // A worker's settings are one immutable record whose defaults are declared once (EquilibriumTrainerOptions.Defaults);
        // SurfaceSweepOptions and QuasiStaticProcessOptions have the same shape.
        var options = new EquilibriumTrainerOptions { BatchSize = 128, Convergence = ConvergenceRule.FixedEpochs(2) };
        var trainer = new EquilibriumTrainer(options);                    // validated as a whole
        var faster = trainer.WithAdam(learningRate: 3e-3);                // With… returns a new trainer: `trainer` is unchanged
        Console.WriteLine($"learning rates {trainer.LearningRate} and {faster.LearningRate}, batch {faster.BatchSize}");
        try
        {
            _ = new EquilibriumTrainer(options with { LearningRate = -1, BatchSize = 0 });
        }
        catch (FreeEnergyConfigurationException e)
        {
            Console.WriteLine(e.Message);                                 // every problem at once
        }
    }
    // end-snippet

    // snippet: logging
    public static void Logging(LabeledTensorDataset training, LabeledTensorDataset evaluation)
    {
        // Any Microsoft.Extensions.Logging logger; the library logs nothing by default (NullLogger).
        using var loggerFactory = LoggerFactory.Create(builder => builder
            .AddSimpleConsole(options => options.SingleLine = true)
            .SetMinimumLevel(LogLevel.Information));                      // Debug adds one line per training step
        ILogger logger = loggerFactory.CreateLogger("FreeEnergy");
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithLogger(logger).Build();
        new EquilibriumTrainer()
            .WithConvergence(maxEpochs: 2)
            .WithLogger(logger)                                           // one Information line per epoch
            .Train(model, new Multipliers(1, 10), training, evaluation);
    }
    // end-snippet

    // snippet: cancellation
    public static void Cancellation(LabeledTensorDataset training)
    {
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).Build();
        using var cancel = new CancellationTokenSource();                // in an application: Console.CancelKeyPress, a timeout, a button
        var trainer = new EquilibriumTrainer().WithConvergence(maxEpochs: 100).WithProgressInterval(2); // a report every 2 steps
        var progress = new SynchronousProgress<TrainingProgress>(p =>
        {
            if (p.Step >= 4)
            {
                cancel.Cancel();                                          // the token is checked between steps
            }
        });
        try
        {
            trainer.Train(model, new Multipliers(1, 10), training, progress: progress, cancellationToken: cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("cancelled: the model keeps the weights of the last finished step");
        }
    }
    // end-snippet

    // snippet: evaluate
    public static void Evaluate(LabeledTensorDataset training, LabeledTensorDataset evaluation)
    {
        var multipliers = new Multipliers(lambda: 1, gamma: 10);
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithSamples(2).Build();
        new EquilibriumTrainer().WithConvergence(maxEpochs: 2).Train(model, multipliers, training, evaluation);

        Functionals f = model.Evaluate(evaluation);   // evaluation mode, no gradients; averages per example
        Console.WriteLine($"R = {f.Rate:F2} nats = {f.RateBits:F2} bits, D = {f.Distortion:F2} nats = {f.DistortionBits:F1} bits");
        Console.WriteLine($"C = {f.Classification:F3} nats, accuracy {f.Accuracy:P1} over {f.Count} examples");
        Console.WriteLine($"J = R + λD + γC = {f.Objective(multipliers):F2} nats per example");

        // The z-noise of an evaluation comes from a generator seeded from the model's seed (or noiseSeed), so
        // evaluating twice gives the same numbers: common random numbers for comparisons.
        Console.WriteLine($"repeatable: {model.Evaluate(evaluation) == f}, another noise draw: C = {model.Evaluate(evaluation, noiseSeed: 7).Classification:F3}");
    }
    // end-snippet

    // snippet: save-load
    public static void SaveAndLoad(string folder)
    {
        string path = Path.Combine(folder, "model.fe");
        using (var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithSeed(1).Build())
        {
            model.Save(path);                                     // weights + a versioned JSON header with the configuration
        }

        using var loaded = RateDistortionModel.Load(path);        // rebuilt from the header; device: "cpu" moves a GPU checkpoint
        Console.WriteLine($"loaded: {loaded.ParameterCount:N0} parameters, seed {loaded.Configuration.Seed}");

        using var same = RateDistortionModel.CreateBuilder().FromConfiguration(loaded.Configuration).WithSeed(2).Build();
        same.LoadWeights(path);                                   // into an existing model of the same structure

        using var other = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(5).Build();
        try
        {
            other.LoadWeights(path);
        }
        catch (InvalidOperationException e)                       // every structural difference; the weights are untouched
        {
            Console.WriteLine(e.Message);
        }
    }
    // end-snippet

    // snippet: pytorch-interop
    public static void PyTorchInterop(LabeledTensorDataset training, LabeledTensorDataset evaluation, string folder)
    {
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10)
            .WithMlp(64, 32).WithLatentSize(8).WithSamples(2).WithSeed(1).Build();
        new EquilibriumTrainer().WithConvergence(window: 1, relativeTolerance: 1e-9, maxEpochs: 2)
            .Train(model, new Multipliers(lambda: 1, gamma: 5), training, evaluation);

        string weights = Path.Combine(folder, "model.safetensors");
        model.SavePyTorch(weights, PyTorchFormat.Safetensors);   // and model.config.json; StateDict writes a torch.save file (.pt)

        // The same ε on both sides: [K, n, k] standard normal, saved with the images for python/freeenergy_torch.
        using var generator = new torch.Generator(7);
        using var noise = torch.randn([model.Samples, evaluation.Count, model.Configuration.LatentSize], generator: generator);
        using (var file = File.Create(Path.Combine(folder, "data.safetensors")))
        {
            Safetensors.SaveStateDict(file, new() { ["inputs"] = evaluation.Inputs, ["labels"] = evaluation.Labels, ["noise"] = noise });
        }

        var f = model.EvaluateWithNoise(evaluation, noise);      // what PyTorch computes from the same files, to float rounding
        Console.WriteLine($"R = {f.Rate:F4}, D = {f.Distortion:F4}, C = {f.Classification:F4} nats");

        model.LoadPyTorchWeights(weights);                       // either format; weights made by torch.save(net.state_dict(), ...)
        using var other = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithMlp(32).Build();
        try
        {
            other.LoadPyTorchWeights(weights);
        }
        catch (InvalidDataException e)                           // every missing, unexpected or misshapen tensor by name; weights unchanged
        {
            Console.WriteLine(e.Message[..Math.Min(160, e.Message.Length)] + "…");
        }
    }
    // end-snippet

    // snippet: datasets
    public static void Datasets()
    {
        using var images = FashionMnist.LoadShippedTestSplit();
        Console.WriteLine($"{images.Count} images [{string.Join(", ", images.InputShape)}], {images.ClassCount} classes: {string.Join(", ", FashionMnist.ClassNames)}");
        Console.WriteLine($"per class: {string.Join(" ", images.ClassCounts())}");

        using var shoes = images.SelectClasses([5, 7, 9], LabelMapping.Remap);   // sandals, sneakers, ankle boots as 0, 1, 2
        using var hundred = shoes.StratifiedSubset(100, seed: 1);
        using var binary = FashionMnist.LoadShippedTestSplit(Binarization.AtThreshold(0.5)); // pixels in {0, 1}
        Console.WriteLine($"shoes: {shoes.Count} in {shoes.ClassCount} classes, subset {hundred.Count}; binarised: {binary.Count}");

        // Full datasets come from a directory: Debian and Ubuntu's dataset-fashion-mnist package, MNIST, KMNIST
        // (IdxDataset) or CIFAR-10 (Cifar10). The readers validate everything and never download.
        if (Directory.Exists(FashionMnist.DebianDirectory))
        {
            using var test = FashionMnist.Load(FashionMnist.DebianDirectory, DatasetSplit.Test);
            Console.WriteLine($"{FashionMnist.DebianDirectory}: {test.Count} test images");
        }

        // Or your own tensors: inputs [N, ...] of any floating type, labels [N] of any integer type (both copied).
        using var generator = new torch.Generator(1);
        using var inputs = torch.rand(new long[] { 100, 4 }, generator: generator);
        using var labels = torch.randint(0, 3, new long[] { 100 }, generator: generator);
        using var mine = new LabeledTensorDataset(inputs, labels);
        var (training, evaluation) = mine.Split(evaluationFraction: 0.25, seed: 1); // unstratified
        using (training)
        using (evaluation)
        {
            Console.WriteLine($"mine: {training.Count} training and {evaluation.Count} evaluation examples of shape [{string.Join(", ", mine.InputShape)}]");
        }
    }
    // end-snippet

    // snippet: task-mixture
    public static void TaskMixtures(LabeledTensorDataset training, LabeledTensorDataset evaluation)
    {
        // Classes 0–4 → 5–9 keeping the original labels: both tasks share one 10-way head (the authors' setup).
        var (sourceTraining, targetTraining) = training.SplitClasses([0, 1, 2, 3, 4], [5, 6, 7, 8, 9]);
        var (sourceEvaluation, targetEvaluation) = evaluation.SplitClasses([0, 1, 2, 3, 4], [5, 6, 7, 8, 9]);
        using (sourceTraining)
        using (targetTraining)
        using (sourceEvaluation)
        using (targetEvaluation)
        {
            // p_r = (1 − r)·p_source + r·p_target: each step trains on (1 − r)·J(source batch) + r·J(target batch).
            var tasks = new TaskMixture(sourceTraining, targetTraining, ratio: 0.5);   // does not own the datasets
            var tests = new TaskMixture(sourceEvaluation, targetEvaluation, ratio: 0.5);
            Console.WriteLine($"{tasks}: {tasks.StepsPerEpoch(batchSize: 64)} steps per epoch (the larger task once)");

            using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).Build();
            new EquilibriumTrainer().WithConvergence(maxEpochs: 2).Train(model, new Multipliers(2, 2), tasks, tests);
            Functionals mixed = model.Evaluate(tests);                 // (1 − r)·source + r·target
            Functionals target = model.Evaluate(tests.Target);
            Functionals source = model.Evaluate(tests.WithRatio(0));   // a mixture at r = 0 is the source task
            Console.WriteLine($"C: mixture {mixed.Classification:F3}, source {source.Classification:F3}, target {target.Classification:F3} nats");
        }
    }
    // end-snippet

    // snippet: sweep
    public static EquilibriumSurface Sweep(LabeledTensorDataset training, LabeledTensorDataset evaluation, string folder)
    {
        var plan = SweepPlan.Grid(lambdas: [4, 2, 1], gammas: [1, 10]);  // one chain per γ, λ from high to low
        var sweep = new SurfaceSweep(
                createModel: () => RateDistortionModel.CreateBuilder()    // the same initial weights on every call
                    .WithInputShape(1, 28, 28).WithClasses(10).WithMlp(128).WithSamples(2).WithSeed(1).Build(),
                trainer: new EquilibriumTrainer().WithConvergence(window: 2, relativeTolerance: 5e-3, maxEpochs: 2))
            .WithRecordFile(Path.Combine(folder, "surface.jsonl"));      // one JSON line per finished point, with a checkpoint
        var progress = new SynchronousProgress<SweepProgress>(p =>
        {
            if (p.Training is null)                                       // null: a point has just finished
            {
                Console.WriteLine($"{p.Completed}/{p.Total} {p.Point.Multipliers} after {p.Elapsed.TotalSeconds:F0} s");
            }
        });

        EquilibriumSurface surface = sweep.Run(plan, training, evaluation, progress);

        foreach (SurfaceRecord r in surface.Records)
        {
            string start = r.WarmStartFrom is int from ? $"point {from}" : "the initial weights";
            Console.WriteLine($"{r.Multipliers}: R = {r.Rate:F2}, D = {r.Distortion:F2}, C = {r.Classification:F3}, {r.Epochs} epochs from {start}");
        }

        // Running the same plan over the same file again trains only what is missing (resume after a crash or Ctrl-C).
        EquilibriumSurface resumed = sweep.Run(plan, training, evaluation);
        Console.WriteLine($"resumed: {resumed.Records.Count} points, none retrained");
        return surface;
    }
    // end-snippet

    // snippet: shards
    public static void Shards(LabeledTensorDataset training, LabeledTensorDataset evaluation, string folder)
    {
        var plan = SweepPlan.Grid(lambdas: [4, 1], gammas: [1, 10]);
        const int shards = 2;
        for (int shard = 0; shard < shards; shard++)   // on a cluster: one process per shard (a job array)
        {
            new SurfaceSweep(
                    () => RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithMlp(128).WithSeed(1).Build(),
                    new EquilibriumTrainer().WithConvergence(maxEpochs: 1))
                .WithRecordFile(Path.Combine(folder, $"shard-{shard}.jsonl"))
                .Run(plan.Shard(shard, shards), training, evaluation);   // chains shard, shard + shards, …
        }

        EquilibriumSurface all = EquilibriumSurface.Merge(Directory.GetFiles(folder, "shard-*.jsonl"));
        all.Save(Path.Combine(folder, "merged.jsonl"));
        Console.WriteLine($"merged {all.Records.Count} points of plan {plan.Fingerprint}");
    }
    // end-snippet

    // snippet: parallel-sweep
    public static void ParallelSweep(LabeledTensorDataset training, LabeledTensorDataset evaluation, string folder)
    {
        var plan = SweepPlan.Grid(lambdas: [4, 1], gammas: [1, 10]);   // two chains (one per γ)
        RateDistortionModel Create() => RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithMlp(128).WithSeed(1).Build();
        var trainer = new EquilibriumTrainer().WithConvergence(maxEpochs: 1);

        // The chains on two workers, each on a thread of its own with one torch thread: the records and
        // checkpoints equal a serial run's on one thread, whatever the number of workers.
        var sweep = new SurfaceSweep(Create, trainer).WithRecordFile(Path.Combine(folder, "surface.jsonl")).WithWorkers(2);
        var surface = sweep.Run(plan, training, evaluation);

        // A study that runs other work beside a sweep shares one pool: never more than 2 computing at once.
        var pool = new WorkerPool(2);
        Functionals? other = null;
        pool.RunAll(
        [
            token => new SurfaceSweep(Create, trainer).WithRecordFile(Path.Combine(folder, "shared.jsonl")).WithWorkers(pool)
                .Run(plan, training, evaluation, cancellationToken: token),
            token => other = pool.Run(() =>
            {
                using var model = Create();
                return trainer.Train(model, new Multipliers(2, 1), training, evaluation, cancellationToken: token).Evaluation;
            }, priority: 1, cancellationToken: token),
        ]);
        Console.WriteLine($"{surface.Records.Count} points on {sweep.Workers} workers; beside a second sweep: R = {other!.Rate:F2} nats");
    }
    // end-snippet

    // snippet: shared-start
    public static void SharedStartSweep(LabeledTensorDataset training, LabeledTensorDataset evaluation, string folder)
    {
        var plan = SweepPlan.Grid(lambdas: [4, 1], gammas: [0, 10]);
        RateDistortionModel Create() => RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithMlp(128).WithSeed(1).Build();

        // One model relaxed deeply at the first λ and a middle γ (the main job: 90 epochs), kept as a checkpoint;
        // a rerun loads it instead of training again. Every chain starts from it instead of the initial weights.
        var deep = new EquilibriumTrainer().WithWeightAveraging(1).WithFixedEpochs(3);
        var start = SharedStart.Relax(Create, deep, new Multipliers(4, 1), training, evaluation, Path.Combine(folder, "start.fe"));

        var trainer = new EquilibriumTrainer().WithWeightAveraging(1).WithConvergence(maxEpochs: 1);
        var surface = new SurfaceSweep(start.CreateModel, trainer).WithRecordFile(Path.Combine(folder, "surface.jsonl")).Run(plan, training, evaluation);
        var certificate = surface.Certify(CertificateData.Evaluation, evaluation);   // paired: loads the checkpoints
        Console.WriteLine($"{start}; {surface.Records.Count} points; {certificate}");
    }
    // end-snippet

    // snippet: surface-queries
    public static void SurfaceQueries(EquilibriumSurface surface, LabeledTensorDataset evaluation)
    {
        // The identities of the theory, over neighbouring grid points; residuals are relative (0.01 = 1%).
        SurfaceIdentityReport identities = IdentityCheck.Grid(surface.Points, tolerance: 1e-3);
        Console.WriteLine($"envelope λ {identities.EnvelopeLambda:P1}, γ {identities.EnvelopeGamma:P1}, Maxwell {identities.Maxwell:P1} "
            + $"({identities.Cells} cells), concavity violations {identities.ConcavityViolations}, R(D, C) convex: {identities.Convexity.IsConvex}");

        SurfaceRecord point = surface.Find(new Multipliers(2, 10)) ?? throw new InvalidOperationException("no point at (2, 10)");
        double rate = surface.InterpolateRate(point.Distortion + 1, gamma: 10);   // R(D) along γ = 10 (monotone cubic)
        Console.WriteLine($"R(D = {point.Distortion + 1:F1}) ≈ {rate:F2} nats at γ = 10");

        using RateDistortionModel model = surface.LoadModel(point);              // the checkpoint of that point
        SurfaceDerivatives d = surface.Derivatives(point, new EncoderFluctuationEstimator(), evaluation);
        Console.WriteLine($"at {point.Multipliers}: {d}");
    }
    // end-snippet

    // snippet: gaussian-source
    public static LabeledTensorDataset GaussianSource(int count, ulong seed)
    {
        // x ~ N(0, diag(2², 1², 0.5², 0.25²)) with a single class: the known answer of theory-and-units.md.
        using var scope = torch.NewDisposeScope();
        using var generator = new torch.Generator(seed);
        var x = torch.randn(new long[] { count, 4 }, generator: generator) * torch.tensor(new[] { 2f, 1f, 0.5f, 0.25f });
        return new LabeledTensorDataset(x, torch.zeros(count, dtype: torch.int64)); // it copies what it keeps
    }
    // end-snippet

    // snippet: derivatives
    public static void Derivatives()
    {
        using var data = GaussianSource(count: 2048, seed: 7);
        using var model = RateDistortionModel.CreateBuilder()
            .WithInputShape(4).WithClasses(1).WithMlp().WithLatentSize(4).WithSamples(8)
            .WithGaussianDecoder(sigma: 1).WithSeed(3).Build();
        var multipliers = new Multipliers(lambda: 2, gamma: 0);
        var trainer = new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(256)
            .WithConvergence(window: 5, relativeTolerance: 3e-4, maxEpochs: 100).WithLearningRateDecay(0.3, 2);
        trainer.Train(model, multipliers, data);                              // the estimators assume equilibrium

        // On the surface D_λ = −(active dimensions)/(2λ²) = −0.25 here, and D_γ = C_λ = C_γ = 0 (one class).
        IDerivativeEstimator[] estimators =
        [
            new ImplicitDerivativeEstimator(),                                  // the default: Hessian solves, no retraining
            new FiniteDifferenceEstimator().WithTrainer(trainer),               // the cross-check: relaxes at λ ± h, γ ± h
            new EncoderFluctuationEstimator(),                                  // cheap, biased; needs K ≥ 2
        ];
        foreach (IDerivativeEstimator estimator in estimators)
        {
            SurfaceDerivatives d = estimator.Estimate(model, multipliers, data);
            Console.WriteLine($"{estimator.Name,-18} D_λ = {d.DLambda:F4} ± {d.DLambdaUncertainty?.ToString("G2") ?? "n/a"}, "
                + $"Maxwell residual {IdentityCheck.Maxwell(d).Residual:G2}, concave: {IdentityCheck.Concavity(d).IsNegativeSemidefinite(1e-9)}");
        }

        ImplicitDerivativeReport report = new ImplicitDerivativeEstimator().EstimateWithReport(model, multipliers, data);
        Console.WriteLine($"implicit: converged {report.Converged}, damping {report.Damping:G2}, {report.DistortionSolve.Iterations} CG iterations, |∇J| = {report.GradientNorm:G2}");
    }
    // end-snippet

    // snippet: exact-oracle
    public static void ExactOracle()
    {
        // A joint p(x, y) over 4 inputs and 2 labels (rows x, columns y); DiscreteSource.Random(7, 3, seed) makes one.
        var source = new DiscreteSource(new double[,] { { 0.20, 0.05 }, { 0.15, 0.10 }, { 0.05, 0.20 }, { 0.10, 0.15 } });
        Console.WriteLine($"H(x) = {source.InputEntropy:F4}, H(y) = {source.LabelEntropy:F4}, I(x; y) = {source.MutualInformation:F4} nats");

        var solver = new ExactFreeEnergySolver(new ExactSolverOptions(seed: 1));   // |Z| = |X|, 8 restarts, max |Δe| < 1e-15
        ExactSolution bottleneck = solver.Solve(source, new Multipliers(0.5, 4));    // λ < 1: an information bottleneck
        ExactSolution everything = solver.Solve(source, new Multipliers(2, 4));      // λ > 1: z keeps all of x
        Console.WriteLine(bottleneck);
        Console.WriteLine($"λ = 2: R = {everything.Rate:F4} = H(x), D = {everything.Distortion:G2}, C = {everything.Classification:F4} = H(y|x) = {source.LabelGivenInputEntropy:F4}");

        ExactSolution next = solver.Solve(source, new Multipliers(0.55, 4), bottleneck);  // warm start: stays on the branch
        Console.WriteLine($"warm start: {next.Iterations} sweeps, converged {next.Converged}, p(z = 0 | x = 0) = {next.EncoderProbability(0, 0):F4}");
    }
    // end-snippet

    // snippet: identity-checks
    public static void IdentityChecks()
    {
        var source = DiscreteSource.Random(inputCount: 7, labelCount: 3, seed: 1);
        var solver = new ExactFreeEnergySolver(new ExactSolverOptions(seed: 1));
        ExactSolution center = solver.Solve(source, new Multipliers(0.6, 4));

        // Envelope (∂F/∂λ = D, ∂F/∂γ = C), Maxwell (D_γ = C_λ) and concavity by central differences; the
        // callback is called for the center first, then the four neighbours (warm-started from the center).
        IdentityResiduals r = IdentityCheck.AtPoint(0.6, 4, lambdaStep: 1e-5, gammaStep: 1e-5, (lambda, gamma) =>
            lambda == 0.6 && gamma == 4 ? center.ToSurfacePoint() : solver.Solve(source, new Multipliers(lambda, gamma), center).ToSurfacePoint());
        Console.WriteLine($"envelope {r.Envelope.MaxAbsResidual:G2}, Maxwell {r.Maxwell.Residual:G2}, largest Hessian eigenvalue {r.Concavity.LargestEigenvalue:G2}");

        // Convexity of R(D, C) over global optima: no point beats another at the other's multipliers.
        List<SurfacePoint> points = [.. new[] { 0.3, 0.6, 0.9, 1.5 }.SelectMany(lambda =>
            new[] { 1.0, 4.0 }.Select(gamma => solver.Solve(source, new Multipliers(lambda, gamma)).ToSurfacePoint()))];
        ConvexityResidual convexity = IdentityCheck.Convexity(points, tolerance: 1e-10);
        Console.WriteLine($"convex: {convexity.IsConvex}, worst violation {convexity.WorstViolation:G2} nats over {convexity.PairCount} pairs");

        // The same checks take derivatives from any estimator, or your own numbers.
        var derivatives = new SurfaceDerivatives(dLambda: -0.8, dGamma: -0.12, cLambda: -0.12, cGamma: -0.05);
        Console.WriteLine($"determinant {IdentityCheck.Concavity(derivatives).Determinant:G3} (≥ 0 for a concave F)");
    }
    // end-snippet

    // snippet: iso-classification
    public static void IsoClassification(LabeledTensorDataset training, LabeledTensorDataset evaluation, string folder)
    {
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithMlp(128).WithSamples(2).WithSeed(1).Build();
        var start = new Multipliers(lambda: 4, gamma: 2);
        new EquilibriumTrainer().WithConvergence(window: 2, relativeTolerance: 5e-3, maxEpochs: 3)
            .Train(model, start, training, evaluation);                  // the precondition: equilibrium at the start

        var process = new QuasiStaticProcess(
                new EquilibriumTrainer(),                                // Adam and the batch size of the process's one training loop
                new EncoderFluctuationEstimator())                       // the log-sensitivity of C to γ for the controller (K ≥ 2)
            .WithTolerance(0.02)                                         // |C − C*| / C* on held-out data at every recorded step
            .WithProtocol(RampProtocol.Default with { RampEpochs = 1, MaxDwellChecks = 8 }) // ramp, checks, gate, rollback: all bounded
            .WithRecordFile(Path.Combine(folder, "iso-c.jsonl"));       // one JSON line per step; the checks go to iso-c.checks.jsonl
        // ProcessMethod.Controlled is the default; .WithMethod(ProcessMethod.PredictorCorrector) jumps, relaxes and corrects instead.
        ProcessTrajectory forward = process.IsoClassification(model, start, path: [2, 1], training, evaluation);
        foreach (ProcessStep s in forward.Steps)
        {
            Console.WriteLine($"{s.Index}: {s.Multipliers} R = {s.Rate:F2} D = {s.Distortion:F2} C = {s.Classification:F3} drift {s.Drift:P1} held: {s.WithinTolerance}");
        }

        Console.WriteLine($"failed steps [{string.Join(", ", forward.FailedSteps)}], W = {forward.Work:F2} vs ΔF = {forward.FreeEnergyChange:F2} nats");

        // Back along the same path with the same target C, then the hysteresis of the loop.
        ProcessTrajectory reverse = process.WithRecordFile(Path.Combine(folder, "iso-c-reverse.jsonl")).Reverse(forward, model, training, evaluation);
        HysteresisReport loop = ProcessTrajectory.Hysteresis(forward, reverse);
        Console.WriteLine($"loop work {loop.LoopWork:F2} nats (0 when reversible), largest γ gap {loop.MaxFreeGap:F3}");
    }
    // end-snippet

    // snippet: schedule
    public static void Schedule(LabeledTensorDataset training, LabeledTensorDataset evaluation)
    {
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithMlp(128).Build();
        var process = new QuasiStaticProcess(new EquilibriumTrainer().WithConvergence(maxEpochs: 1), new EncoderFluctuationEstimator());
        // No constraint: relax at each (λ, γ) in turn. IsoRate and IsoDistortion hold R or D the way IsoClassification holds C.
        ProcessTrajectory path = process.FollowSchedule(model, new Multipliers(2, 1), [new(2, 2), new(1, 2)], training, evaluation);
        Console.WriteLine($"{path.Kind}: {path.Steps.Count} steps, {path.TotalEpochs} epochs, final {path.Final.Multipliers} F = {path.Final.FreeEnergy:F2}");
    }
    // end-snippet

    // snippet: transfer
    public static void Transfer(LabeledTensorDataset training, LabeledTensorDataset evaluation, string folder)
    {
        var (sourceTraining, targetTraining) = training.SplitClasses([0, 1, 2, 3, 4], [5, 6, 7, 8, 9]);
        var (sourceEvaluation, targetEvaluation) = evaluation.SplitClasses([0, 1, 2, 3, 4], [5, 6, 7, 8, 9]);
        using (sourceTraining)
        using (targetTraining)
        using (sourceEvaluation)
        using (targetEvaluation)
        {
            var tasks = new TaskMixture(sourceTraining, targetTraining, ratio: 0);   // the process moves r from 0 to 1
            var tests = new TaskMixture(sourceEvaluation, targetEvaluation, ratio: 0);
            var start = new Multipliers(lambda: 2, gamma: 2);
            string sourceModel = Path.Combine(folder, "source.fe");
            using (var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithMlp(128).WithSamples(2).Build())
            {
                new EquilibriumTrainer().WithConvergence(maxEpochs: 2).Train(model, start, sourceTraining, sourceEvaluation);
                model.Save(sourceModel);                                  // every procedure below starts from this model
            }

            var process = new QuasiStaticProcess(new EquilibriumTrainer().WithConvergence(maxEpochs: 1), new EncoderFluctuationEstimator())
                .WithMaxCorrections(1);

            using var held = RateDistortionModel.Load(sourceModel);
            ProcessTrajectory atConstantC = process.Transfer(held, start, tasks, tests, steps: 2);   // γ corrected to hold C at C₀

            using var controlled = RateDistortionModel.Load(sourceModel);
            ProcessTrajectory authors = process.TransferWithAuthorsController(controlled, start, tasks, tests, steps: 2,
                new AuthorsControllerOptions(epochsPerPass: 1, maxPassesPerStep: 2));             // their loop, with a cap

            using var tuned = RateDistortionModel.Load(sourceModel);
            ProcessTrajectory fineTuned = process.FineTune(tuned, start, tasks, tests, epochs: atConstantC.TotalEpochs); // the baseline

            foreach (var (name, t) in new[] { ("constant C", atConstantC), ("authors", authors), ("fine-tuning", fineTuned) })
            {
                ProcessStep end = t.Final;
                Console.WriteLine($"{name,-12} at {end.Multipliers}: target accuracy {end.TargetAccuracy:P1}, target C {end.TargetClassification:F3}, "
                    + $"source accuracy {end.SourceAccuracy:P1}, {t.TotalEpochs} epochs");
            }

            Console.WriteLine($"C₀ = {atConstantC.Target:F3} nats; steps where C was not held: [{string.Join(", ", atConstantC.FailedSteps)}]");
        }
    }
    // end-snippet

    // snippet: cuda
    public static void Cuda()
    {
        Console.WriteLine($"CUDA backend: {CudaDevices.HasCudaBackend}, usable: {CudaDevices.IsAvailable}, devices: {CudaDevices.Count}");
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10)
            .TryUseCuda(out DeviceSelection selection)       // the GPU when usable, else the CPU; UseCuda() insists
            .Build();
        Console.WriteLine(selection);                       // "cpu (NoCudaBackend): …" on a machine without CUDA

        if (CudaDevices.Check() != CudaAvailability.Available)
        {
            try
            {
                CudaDevices.Require();                      // what UseCuda() does at the point the device is chosen
            }
            catch (FreeEnergyBackendException e)
            {
                Console.WriteLine($"{e.Cause}: {e.Message}");
            }
        }

        using var scope = torch.NewDisposeScope();
        var inputs = torch.rand(64, 1, 28, 28).to(model.Device);
        var labels = torch.zeros(64, dtype: torch.int64).to(model.Device);
        using (TensorFloat32.Scope(false))                  // TF32 off for this block (it only matters on Ampere+ GPUs)
        {
            TimingSummary timing = DeviceTiming.Measure(model.Device, () =>
            {
                using var terms = model.Forward(inputs, labels);
            }, iterations: 5, warmupIterations: 1);        // waits for the GPU before reading the clock
            Console.WriteLine(timing);
        }
    }
    // end-snippet

    // snippet: runtime
    public static void Runtime(LabeledTensorDataset evaluation)
    {
        FreeEnergyRuntime.SetThreadCount(1);   // once, at start-up: 1 thread is bit-reproducible and fastest for small models
        Console.WriteLine($"torch threads: {FreeEnergyRuntime.ThreadCount}");

        long before = FreeEnergyRuntime.LiveTensorCount;
        using (var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).Build())
        {
            model.Evaluate(evaluation);        // every entry point cleans up its own tensors
        }

        Console.WriteLine($"live tensors left behind: {FreeEnergyRuntime.LiveTensorCount - before}");
    }
    // end-snippet
}
