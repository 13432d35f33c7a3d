namespace FreeEnergy.ApiGuide;

/// <summary>Every runnable snippet of docs/api-guide.md by name, in the order of the page.</summary>
public static class SnippetCatalog
{
    /// <summary>Regions of Snippets.cs that are not run on their own: the using directives.</summary>
    public static IReadOnlyList<string> Helpers { get; } = ["usings"];

    private static readonly (string Name, string Summary, Action<SnippetContext> Run)[] Entries =
    [
        ("load-data", "load the shipped Fashion-MNIST split and split it", c =>
        {
            var (training, evaluation) = Snippets.LoadData(c.Images);
            Console.WriteLine($"{training.Count} training and {evaluation.Count} evaluation images");
            training.Dispose();
            evaluation.Dispose();
        }),
        ("build-model", "every builder option", _ => Snippets.BuildModel()),
        ("configuration-errors", "Build() reports every problem at once", _ => Snippets.ConfigurationErrors()),
        ("forward-pass", "one forward pass and the objective of a batch", c => Snippets.ForwardPass(c.Training)),
        ("train", "train to equilibrium with progress", c => Snippets.Train(c.Training, c.Evaluation)),
        ("convergence-rule", "the convergence rule on its own", _ => Snippets.ConvergenceRules()),
        ("settings", "one options record per worker; With… returns a new worker", _ => Snippets.Settings()),
        ("logging", "log through Microsoft.Extensions.Logging", c => Snippets.Logging(c.Training, c.Evaluation)),
        ("cancellation", "cancel training", c => Snippets.Cancellation(c.Training)),
        ("evaluate", "functionals, bits, F, common random numbers", c => Snippets.Evaluate(c.Training, c.Evaluation)),
        ("save-load", "checkpoints", c => Snippets.SaveAndLoad(c.NewFolder("save-load"))),
        ("pytorch-interop", "weights in PyTorch's formats, R, D, C with explicit noise", c => Snippets.PyTorchInterop(c.Training, c.Evaluation, c.NewFolder("pytorch"))),
        ("datasets", "readers, class subsets, your own tensors", _ => Snippets.Datasets()),
        ("task-mixture", "two tasks and their mixture", c => Snippets.TaskMixtures(c.Training, c.Evaluation)),
        ("sweep", "an equilibrium surface with records and resume", c => c.Surface = Snippets.Sweep(c.Training, c.Evaluation, c.NewFolder("sweep"))),
        ("shards", "a sweep in shards, merged", c => Snippets.Shards(c.Training, c.Evaluation, c.NewFolder("shards"))),
        ("parallel-sweep", "a sweep's chains on two workers, and a pool shared with other work", c => Snippets.ParallelSweep(c.Training, c.Evaluation, c.NewFolder("parallel-sweep"))),
        ("shared-start", "every chain of a sweep from one deeply relaxed model", c => Snippets.SharedStartSweep(c.Training, c.Evaluation, c.NewFolder("shared-start"))),
        ("surface-queries", "identities, interpolation, models and derivatives of a surface", c =>
            Snippets.SurfaceQueries(c.Surface ??= Snippets.Sweep(c.Training, c.Evaluation, c.NewFolder("sweep")), c.Evaluation)),
        ("gaussian-source", "the Gaussian source of the known answer", _ =>
        {
            using var data = Snippets.GaussianSource(count: 1000, seed: 1);
            Console.WriteLine($"{data.Count} examples of shape [{string.Join(", ", data.InputShape)}]");
        }),
        ("derivatives", "the three derivative estimators against the known answer", _ => Snippets.Derivatives()),
        ("exact-oracle", "the exact solution for a discrete source", _ => Snippets.ExactOracle()),
        ("identity-checks", "envelope, Maxwell, concavity, convexity", _ => Snippets.IdentityChecks()),
        ("iso-classification", "a quasi-static process at constant C, and back", c => Snippets.IsoClassification(c.Training, c.Evaluation, c.NewFolder("iso"))),
        ("schedule", "relax along a schedule of multipliers", c => Snippets.Schedule(c.Training, c.Evaluation)),
        ("transfer", "transfer at constant C and its two baselines", c => Snippets.Transfer(c.Training, c.Evaluation, c.NewFolder("transfer"))),
        ("cuda", "device selection, TF32, timing", _ => Snippets.Cuda()),
        ("runtime", "threads and tensor accounting", c => Snippets.Runtime(c.Evaluation)),
    ];

    /// <summary>The snippet names, in the order of the page.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Entries.Select(e => e.Name)];

    /// <summary>A one-line summary of the snippet.</summary>
    public static string Summary(string name) => Find(name).Summary;

    /// <summary>Runs one snippet.</summary>
    /// <exception cref="ArgumentException">No snippet has this name.</exception>
    public static void Run(string name, SnippetContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Find(name).Run(context);
    }

    private static (string Name, string Summary, Action<SnippetContext> Run) Find(string name) =>
        Entries.FirstOrDefault(e => e.Name == name) is { Name: not null } entry
            ? entry
            : throw new ArgumentException($"No snippet is called '{name}'; the snippets are: {string.Join(", ", Names)}.", nameof(name));
}
