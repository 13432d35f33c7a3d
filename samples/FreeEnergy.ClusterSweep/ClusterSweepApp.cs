using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Surface;
using FreeEnergy.Core.Training;

namespace FreeEnergy.ClusterSweep;

/// <summary>The command line: shard (one task of a job array), serial (the whole plan in one process), merge.</summary>
public static class ClusterSweepApp
{
    /// <summary>Exit code of a finished run (for merge with --compare: the merged records equal the serial ones).</summary>
    public const int Success = 0;

    /// <summary>Exit code of a failed run: bad or missing files, an incomplete merge, a difference from the serial records, an error while training.</summary>
    public const int Failure = 1;

    /// <summary>Exit code of a command line that does not parse or whose values are out of range.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code of a run stopped by Ctrl-C or SIGTERM (finished points stay recorded; the same command resumes).</summary>
    public const int Cancelled = 130;

    /// <summary>The variable a Slurm job array sets to the task's index (used when --shard is not given).</summary>
    public const string ArrayTaskVariable = "SLURM_ARRAY_TASK_ID";

    /// <summary>Runs the program: <paramref name="output"/> gets results and help, <paramref name="error"/> errors.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="output">Results.</param>
    /// <param name="error">Errors.</param>
    /// <param name="environment">Reads an environment variable (<see cref="Environment.GetEnvironmentVariable(string)"/>).</param>
    /// <param name="cancellationToken">Stops a training between two steps.</param>
    public static int Run(string[] args, TextWriter output, TextWriter error, Func<string, string?> environment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(environment);

        var lambdas = new Option<string>("--lambdas") { Description = "λ values of the grid, comma-separated, in the order each chain runs them.", DefaultValueFactory = _ => "4,2,1", Recursive = true };
        var gammas = new Option<string>("--gammas") { Description = "γ values of the grid, comma-separated: one chain (and at most one shard) per γ.", DefaultValueFactory = _ => "1,10,100", Recursive = true };
        var examples = new Option<int>("--examples") { Description = "Images used (a stratified subset; 80 % training, 20 % evaluation).", DefaultValueFactory = _ => 1000, Recursive = true };
        var epochs = new Option<int>("--epochs") { Description = "At most this many epochs per point.", DefaultValueFactory = _ => 5, Recursive = true };
        var seed = new Option<int>("--seed") { Description = "Seed of the weights, the z-noise, the shuffling and the subset.", DefaultValueFactory = _ => 1, Recursive = true };
        var data = new Option<string?>("--data") { Description = "A Fashion-MNIST IDX folder (train-* and t10k-* files); default: the 10,000-image test split shipped with FreeEnergy.Datasets.", Recursive = true };
        var outFile = new Option<string>("--out") { Description = "The records file to write (JSON lines; checkpoints go to <file>.models/). A file that exists is resumed.", Required = true };
        var shard = new Option<int?>("--shard") { Description = $"The shard to run, 0 to shards - 1; default: ${ArrayTaskVariable} (a task of a Slurm job array)." };
        var shards = new Option<int>("--shards") { Description = "How many shards the plan is split into (at most one per γ); give it explicitly: a re-run of some tasks is an array of another size.", Required = true };
        var compare = new Option<string?>("--compare") { Description = "A serial run's records file: print every difference from it and exit 1 if there is any." };
        var files = new Argument<string[]>("shard-files") { Description = "The shards' records files.", Arity = ArgumentArity.OneOrMore };

        var root = new RootCommand("One shard of a FreeEnergy surface sweep per task of a cluster job array, the same plan serially, and the merge of the shards (docs/surface.md, \"Shards on a cluster\").");
        foreach (var option in new Option[] { lambdas, gammas, examples, epochs, seed, data })
        {
            root.Options.Add(option);
        }

        var shardCommand = new Command("shard", "Runs one shard of the plan (its chains i, i + n, …) into --out; run it again to resume.") { shard, shards, outFile };
        var serialCommand = new Command("serial", "Runs the whole plan in this process into --out (the reference a merge is compared with).") { outFile };
        var mergeCommand = new Command("merge", "Merges the shards' records files into --out, checks that every point of the plan is there and, with --compare, that they equal a serial run bit for bit.") { files, outFile, compare };
        root.Subcommands.Add(shardCommand);
        root.Subcommands.Add(serialCommand);
        root.Subcommands.Add(mergeCommand);

        int exitCode = Success;
        bool Setup(ParseResult parse, out SweepSetup setup)
        {
            setup = null!;
            if (!TryParseList(parse.GetValue(lambdas)!, "--lambdas", error, out var l) || !TryParseList(parse.GetValue(gammas)!, "--gammas", error, out var g))
            {
                return false;
            }

            (int count, int budget) = (parse.GetValue(examples), parse.GetValue(epochs));
            if (count < 50 || budget < 1)
            {
                error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"error: {(count < 50 ? $"--examples {count}: give at least 50 images (5 a class: the 20 % evaluation split then holds each class)" : $"--epochs {budget}: give at least 1 epoch")}."));
                return false;
            }

            string? folder = parse.GetValue(data);
            if (folder is not null && !Directory.Exists(folder))
            {
                error.WriteLine($"error: --data '{Path.GetFullPath(folder)}' is not a folder; give a Fashion-MNIST IDX folder (train-* and t10k-* files; Debian: apt-get install dataset-fashion-mnist puts them in /usr/share/datasets/fashion-mnist), or leave --data out for the shipped test split.");
                return false;
            }

            setup = new SweepSetup(l, g, count, budget, parse.GetValue(seed), folder);
            try
            {
                _ = setup.Plan;
                return true;
            }
            catch (ArgumentException e)
            {
                error.WriteLine($"error: the grid {setup.Describe()}: {FirstLine(e)}");
                return false;
            }
        }

        shardCommand.SetAction(parse => exitCode = Setup(parse, out var setup)
            ? RunShard(setup, parse.GetValue(shard), parse.GetValue(shards), parse.GetValue(outFile)!, environment, output, error, cancellationToken)
            : UsageError);
        serialCommand.SetAction(parse => exitCode = Setup(parse, out var setup)
            ? Sweep(setup, setup.Plan, "serial", parse.GetValue(outFile)!, output, error, cancellationToken)
            : UsageError);
        mergeCommand.SetAction(parse => exitCode = Setup(parse, out var setup)
            ? Merge(setup, parse.GetValue(files)!, parse.GetValue(outFile)!, parse.GetValue(compare), output, error)
            : UsageError);
        root.SetAction(_ =>
        {
            error.WriteLine("error: give a command: shard, serial or merge; run with --help for the options.");
            exitCode = UsageError;
        });

        ParseResult result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            string messages = string.Join(" ", result.Errors.Select(e => string.Join(" ", e.Message.Split((char[])[' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries))));
            error.WriteLine($"error: {messages} Commands: shard, serial, merge; run with --help for the options.");
            return UsageError;
        }

        int invoked = result.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        return invoked != 0 ? invoked : exitCode;
    }

    private static int RunShard(SweepSetup setup, int? shard, int shards, string outFile, Func<string, string?> environment, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var plan = setup.Plan;
        int chains = plan.Chains.Count;
        if (shards < 1 || shards > chains)
        {
            error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"error: --shards {shards}: the plan {setup.Describe()} has {chains} chain(s) (one per γ), so it splits into 1 to {chains} shards."));
            return UsageError;
        }

        int index;
        if (shard is int given)
        {
            index = given;
        }
        else if (environment(ArrayTaskVariable) is not { Length: > 0 } task)
        {
            error.WriteLine($"error: give --shard (0 to {shards - 1}), or run as a task of a Slurm job array (sbatch --array=0-{shards - 1}), which sets {ArrayTaskVariable}.");
            return UsageError;
        }
        else if (!int.TryParse(task, NumberStyles.None, CultureInfo.InvariantCulture, out index))
        {
            error.WriteLine($"error: {ArrayTaskVariable} is '{task}', not a task index; give --shard (0 to {shards - 1}).");
            return UsageError;
        }

        if (index < 0 || index >= shards)
        {
            string from = shard is null ? $"{ArrayTaskVariable} {index}" : $"--shard {index}";
            error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"error: {from} is not a shard of --shards {shards}: the shards are 0 to {shards - 1} (sbatch --array=0-{shards - 1})."));
            return UsageError;
        }

        return Sweep(setup, plan.Shard(index, shards), string.Create(CultureInfo.InvariantCulture, $"shard {index} of {shards}"), outFile, output, error, cancellationToken);
    }

    /// <summary>Runs <paramref name="plan"/> (the full plan or a shard) into <paramref name="outFile"/>, resuming what it holds.</summary>
    private static int Sweep(SweepSetup setup, SweepPlan plan, string label, string outFile, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        string path = Path.GetFullPath(outFile);
        try
        {
            if (FreeEnergyRuntime.ThreadCount != 1)
            {
                FreeEnergyRuntime.SetThreadCount(1); // bit-reproducible: a shard's numbers equal the serial run's
            }

            // How many points a resume finds (the sweep itself checks that they are of this plan and model).
            int before = File.Exists(path) ? EquilibriumSurface.Load(path).Records.Count : 0;
            var clock = Stopwatch.StartNew();
            var (training, evaluation) = setup.LoadData();
            EquilibriumSurface surface;
            using (training)
            using (evaluation)
            {
                surface = new SurfaceSweep(setup.CreateModel, setup.CreateTrainer()).WithRecordFile(path).WithWorkers(Workers()).Run(plan, training, evaluation, null, cancellationToken);
            }

            int points = surface.Records.Count;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{label}: {points} point(s) ({before} resumed, {points - before} trained) of plan {plan.Fingerprint} {setup.Describe()} in {clock.Elapsed.TotalSeconds:F1} s: {path}"));
            return Success;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine($"{label}: stopped; the finished points are in '{path}'. Run the same command again to resume.");
            return Cancelled;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The expected kinds (bad or foreign records, a second writer, a backend problem, a divergence, data too small
            // to split) with their message; anything else with its type too, never a stack trace.
            bool expected = e is InvalidDataException or IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException or FreeEnergyBackendException or TrainingDivergedException;
            error.WriteLine($"error: {label}: {(expected ? string.Empty : $"unexpected {e.GetType().Name}: ")}{FirstLine(e)}");
            return Failure;
        }
    }

    private static int Merge(SweepSetup setup, string[] files, string outFile, string? compare, TextWriter output, TextWriter error)
    {
        var plan = setup.Plan;
        string? absent = files.Concat(compare is null ? [] : [compare]).FirstOrDefault(f => !File.Exists(f));
        if (absent is not null)
        {
            error.WriteLine(absent == compare
                ? $"error: the serial records file '{Path.GetFullPath(absent)}' does not exist; run the serial command first (with the same plan options)."
                : $"error: the shard file '{Path.GetFullPath(absent)}' does not exist: did its array task run? Re-run that task (sbatch --array=<its index> …); it resumes from what it recorded.");
            return Failure;
        }

        try
        {
            string folder = Path.GetDirectoryName(Path.GetFullPath(outFile))!;
            Directory.CreateDirectory(folder);
            var parts = new List<EquilibriumSurface>();
            foreach (string file in files)
            {
                var part = EquilibriumSurface.Load(file);
                string? foreign = part.Records.Concat(part.Diverged).Select(r => r.Plan).FirstOrDefault(p => p != plan.Fingerprint);
                if (foreign is not null)
                {
                    error.WriteLine($"error: '{Path.GetFullPath(file)}' holds points of plan {foreign}, but these options give plan {plan.Fingerprint} {setup.Describe()}: give merge the plan options (--lambdas, --gammas) the shards ran with, and only the files of that plan.");
                    return Failure;
                }

                // Checkpoint paths relative to the output's folder: the shard files may lie in different folders (Merge keeps one folder).
                parts.Add(new EquilibriumSurface(part.Records.Concat(part.Diverged).Select(r => r.Checkpoint is null ? r : r with { Checkpoint = Path.GetRelativePath(folder, Path.Combine(part.Directory!, r.Checkpoint)) }), folder));
            }

            var merged = EquilibriumSurface.Merge(parts);
            var have = merged.Records.Select(r => r.Index).ToHashSet();
            var missing = plan.Points.Where(p => !have.Contains(p.Index)).ToList();
            if (missing.Count > 0)
            {
                string list = string.Join(", ", missing.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Index} {p.Multipliers} (chain {p.Chain})")));
                error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"error: the shard files hold {have.Count} of the {plan.Points.Count} finished points of plan {plan.Fingerprint}; missing: {list}. Chain c is in shard c mod (number of shards): re-run those shards (sbatch --array=<their indices> …), they resume from their records files. Nothing was written."));
                return Failure;
            }

            merged.Save(outFile);
            string path = Path.GetFullPath(outFile);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"merged {files.Length} shard file(s): {merged.Records.Count} points of plan {plan.Fingerprint} {setup.Describe()}: {path}"));
            if (compare is null)
            {
                return Success;
            }

            var differences = RecordComparison.Differences(path, "merged", compare, "serial");
            if (differences.Count == 0)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"merged equals serial: {merged.Records.Count} points bit for bit (every field but the wall-clock seconds, and the checkpoints' bytes)"));
                return Success;
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"merged differs from serial: {differences.Count} difference(s):"));
            foreach (string line in differences)
            {
                output.WriteLine("  " + line);
            }

            return Failure;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: merge: {FirstLine(e)}");
            return Failure;
        }
    }

    private static bool TryParseList(string text, string option, TextWriter error, out IReadOnlyList<double> values)
    {
        var parsed = new List<double>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            {
                error.WriteLine($"error: {option} '{text}': '{part}' is not a number; give comma-separated numbers such as 4,2,1.");
                values = [];
                return false;
            }

            parsed.Add(value);
        }

        values = parsed;
        return true;
    }

    private static string FirstLine(Exception e) =>
        string.Join(" ", e.Message.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>
    /// The chains a task trains at once: the CPUs Slurm gave it (SLURM_CPUS_PER_TASK), else the machine's cores. The
    /// task uses what it was given and no more; the records are the same for any number.
    /// </summary>
    private static int Workers() =>
        int.TryParse(Environment.GetEnvironmentVariable("SLURM_CPUS_PER_TASK"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int cpus) && cpus >= 1
            ? cpus
            : Environment.ProcessorCount;
}
