using System.CommandLine;
using System.Globalization;
using FreeEnergy.Core.Cuda;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Training;
using Microsoft.Extensions.Logging;

namespace FreeEnergy.Reproduce;

/// <summary>The command line of the reproduction: parsing, validation of the folders, dispatch.</summary>
public static class ReproduceApp
{
    /// <summary>Exit code of a finished run.</summary>
    public const int Success = 0;

    /// <summary>Exit code of a failed run (bad data, unwritable output, an error while training).</summary>
    public const int Failure = 1;

    /// <summary>Exit code of a command line that does not parse (unknown command or option, bad value).</summary>
    public const int UsageError = 2;

    /// <summary>Exit code of a run stopped with Ctrl-C (finished records are kept).</summary>
    public const int Cancelled = 130;

    /// <summary>Runs the program: <paramref name="output"/> gets results and help, <paramref name="error"/> errors and progress.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);

        var outOption = new Option<string>("--out")
        {
            Description = "Folder for the records (*.jsonl) and the plots (*.png).",
            DefaultValueFactory = _ => "results",
            Recursive = true,
        };
        var dataOption = new Option<string?>("--data")
        {
            Description = "A Fashion-MNIST IDX folder (train-* and t10k-* files, .gz or not); default: the 10,000-image test split shipped with FreeEnergy.Datasets.",
            Recursive = true,
        };
        var modelOption = new Option<string>("--model")
        {
            Description = "Encoder/decoder: mlp (784-512-256, default) or conv (the authors' DCGAN-style network; slow on a CPU).",
            DefaultValueFactory = _ => "mlp",
            Recursive = true,
        };
        modelOption.AcceptOnlyFromAmong("mlp", "conv");
        var deviceOption = new Option<string>("--device")
        {
            Description = "cpu (default; one torch thread) or cuda (cuda:0; needs a build with -p:CudaBundle=linux or windows on a machine with an NVIDIA GPU).",
            DefaultValueFactory = _ => "cpu",
            Recursive = true,
        };
        deviceOption.AcceptOnlyFromAmong("cpu", "cuda");
        var seedOption = new Option<int>("--seed")
        {
            Description = "Seed of the weights, the z-noise, the shuffling and the data subsets.",
            DefaultValueFactory = _ => 1,
            Recursive = true,
        };
        var quickOption = new Option<bool>("--quick")
        {
            Description = "A tiny budget for smoke tests (1,000 images, 2 epochs per point, 2 steps per process): seconds, not minutes.",
            Recursive = true,
        };

        var noRepairOption = new Option<bool>("--no-repair")
        {
            Description = "surface: skip the certificate's repair loop after the sweep (a resumed run repeats the repair, so only a run without it ends bit-identical to an uninterrupted one; docs/troubleshooting.md).",
            Recursive = true,
        };

        var workersOption = new Option<int>("--workers")
        {
            Description = "Experiments and surface chains trained at once, each on one torch thread (default: the machine's cores); the records are the same for any number.",
            DefaultValueFactory = _ => Environment.ProcessorCount,
            Recursive = true,
        };
        workersOption.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError($"--workers must be at least 1 (got {r.GetValueOrDefault<int>()}); 1 runs everything one after another.");
            }
        });

        var root = new RootCommand("Reproduces Gao & Chaudhari, \"A Free-Energy Principle for Representation Learning\": equilibrium surface, iso-classification, transfer at constant C, and plots. With no command: all.");
        root.Options.Add(outOption);
        root.Options.Add(dataOption);
        root.Options.Add(modelOption);
        root.Options.Add(deviceOption);
        root.Options.Add(seedOption);
        root.Options.Add(quickOption);
        root.Options.Add(noRepairOption);
        root.Options.Add(workersOption);

        int exitCode = Success;
        Settings Read(ParseResult parse) => new(
            parse.GetValue(outOption)!,
            parse.GetValue(dataOption),
            parse.GetValue(modelOption) == "conv",
            parse.GetValue(deviceOption) == "cuda",
            parse.GetValue(seedOption),
            parse.GetValue(quickOption),
            parse.GetValue(noRepairOption),
            parse.GetValue(workersOption));
        void Add(Command command, Stage stages)
        {
            command.SetAction(parse => exitCode = Execute(stages, Read(parse), output, error, cancellationToken));
        }

        Add(root, Stage.All);
        var commands = new (string Name, string Description, Stage Stages)[]
        {
            ("surface", "Sweep λ × γ to equilibrium (continuation along each γ); writes surface.jsonl and its plots.", Stage.Surface | Stage.Plot),
            ("iso-classification", "Quasi-static process over λ holding C (γ predicted and corrected); writes iso-classification.jsonl and its plot.", Stage.IsoClassification | Stage.Plot),
            ("transfer", "Transfer from classes 0–4 to 5–9 at constant C, compared with the authors' controller and fine-tuning; writes transfer.jsonl, transfer-authors.jsonl, transfer-finetune.jsonl and their plots.", Stage.Transfer | Stage.Plot),
            ("certify", "Prints the equilibrium certificate of the surface.jsonl already in --out and writes certificate.json (no training).", Stage.Certify),
            ("plot", "Draws the plots from the records already in --out.", Stage.Plot),
            ("all", "surface, iso-classification, transfer, then plot (the default).", Stage.All),
        };
        foreach (var (name, description, stages) in commands)
        {
            var command = new Command(name, description);
            Add(command, stages);
            root.Subcommands.Add(command);
        }

        ParseResult result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            string messages = string.Join(" ", result.Errors.Select(e => string.Join(" ", e.Message.Split((char[])[' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries))));
            error.WriteLine($"error: {messages} Commands: surface, iso-classification, transfer, certify, plot, all (the default); run with --help for the options.");
            return UsageError;
        }

        int invoked = result.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        return invoked != 0 ? invoked : exitCode;
    }

    private static int Execute(Stage stages, Settings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        string outDirectory = Path.GetFullPath(settings.OutDirectory);
        if (!TryPrepareOutput(outDirectory, out string? problem))
        {
            error.WriteLine($"error: cannot write to the output folder '{outDirectory}': {problem}");
            return Failure;
        }

        if (settings.DataDirectory is not null && !Directory.Exists(settings.DataDirectory))
        {
            error.WriteLine($"error: the data folder '{Path.GetFullPath(settings.DataDirectory)}' does not exist (expected a Fashion-MNIST IDX folder with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]; on Debian/Ubuntu: apt-get install dataset-fashion-mnist).");
            return Failure;
        }

        if (settings.Cuda && (stages & (Stage.Surface | Stage.IsoClassification | Stage.Transfer)) != 0)
        {
            try
            {
                // At once, with the cause and the fix, when this build has no CUDA bundle or no GPU is usable.
                CudaDevices.Require();
            }
            catch (FreeEnergyBackendException e)
            {
                error.WriteLine($"error: --device cuda: {e.Message} This program gets the CUDA backend when built with -p:CudaBundle=linux (or windows): dotnet run -c Release --project samples/FreeEnergy.Reproduce -p:CudaBundle=linux -- … --device cuda.");
                return Failure;
            }
        }

        var ui = new ConsoleUi(output, error);
        using var loggerFactory = LoggerFactory.Create(builder => builder
            .SetMinimumLevel(LogLevel.Information)
            .AddProvider(new ConsoleUiLoggerProvider(ui)));
        var logger = loggerFactory.CreateLogger("FreeEnergy.Reproduce");
        var budget = settings.Quick ? Budget.Quick : Budget.Default;
        try
        {
            if ((stages & (Stage.Surface | Stage.IsoClassification | Stage.Transfer | Stage.Certify)) != 0)
            {
                if (!settings.Cuda)
                {
                    FreeEnergyRuntime.SetThreadCount(1); // fastest for these small models on few cores, and bit-reproducible
                }

                var experiments = new Experiments(settings, budget, outDirectory, loggerFactory, ui);
                try
                {
                    ui.Live(() => experiments.Run(stages, cancellationToken));
                }
                finally
                {
                    ui.WriteSummary();
                }
            }

            if ((stages & Stage.Plot) != 0)
            {
                var written = Plots.DrawAll(outDirectory, stages);
                if (written.Count == 0)
                {
                    error.WriteLine($"error: no records to plot in '{outDirectory}' (surface.jsonl, iso-classification.jsonl, transfer.jsonl, transfer-authors.jsonl, transfer-finetune.jsonl); run surface, iso-classification or transfer first.");
                    return Failure;
                }

                foreach (string file in written)
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"plot: {file}"));
                }

                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"report: {Report.Write(outDirectory, stages, settings, budget, started)}"));
            }

            return Success;
        }
        catch (OperationCanceledException)
        {
            Log.Cancelled(logger, outDirectory);
            if ((stages & Stage.Plot) != 0)
            {
                // Draw what was finished before the stop (a plot that cannot be drawn is not an error here).
                try
                {
                    foreach (string file in Plots.DrawAll(outDirectory, stages))
                    {
                        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"plot: {file}"));
                    }
                }
                catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or InvalidOperationException)
                {
                    error.WriteLine($"note: plots not drawn after the stop: {e.Message}");
                }
            }

            return Cancelled;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(e, error);
        }
    }

    /// <summary>
    /// Reports an exception that ended a run as one <c>error:</c> line (exit code 1): the expected kinds (bad or damaged
    /// files, a second writer, a backend or configuration problem, a divergence, a folder made with other options) with
    /// their message, anything else with its type as well, so that no run ends in an unhandled exception and a stack trace.
    /// </summary>
    internal static int Fail(Exception e, TextWriter error)
    {
        string message = string.Join(" ", e.Message.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        string line = e switch
        {
            TrainingDivergedException => $"error: {message} The model is unchanged; finished records are kept.",
            InvalidDataException or IOException or UnauthorizedAccessException or FreeEnergyBackendException or FreeEnergyConfigurationException or InvalidOperationException => $"error: {message}",
            _ => $"error: unexpected {e.GetType().Name}: {message}",
        };
        error.WriteLine(line);
        return Failure;
    }

    private static bool TryPrepareOutput(string directory, out string? problem)
    {
        try
        {
            Directory.CreateDirectory(directory);
            string probe = Path.Combine(directory, $".write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
            File.WriteAllText(probe, string.Empty);
            File.Delete(probe);
            problem = null;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            problem = e.Message;
            return false;
        }
    }
}

/// <summary>What a command runs.</summary>
[Flags]
internal enum Stage
{
    None = 0,
    Surface = 1,
    IsoClassification = 2,
    Transfer = 4,
    Plot = 8,
    Certify = 16,
    All = Surface | IsoClassification | Transfer | Plot,
}

/// <summary>The parsed options.</summary>
internal sealed record Settings(string OutDirectory, string? DataDirectory, bool Convolutional, bool Cuda, int Seed, bool Quick, bool NoRepair = false, int Workers = 1);
