using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using TorchSharp;

namespace FreeEnergy.Reproduce;

/// <summary>
/// One invocation of the program that trained (surface, iso-classification, transfer, all; not plot or certify): the command, the options, the budget,
/// the versions, the machine and the time. <see cref="Append"/> adds it to <see cref="FileName"/> in the output
/// folder (every invocation on a folder, oldest first: a resumed or a later stage is one more entry), so that the
/// report, which reads only the folder, can say what was run.
/// </summary>
internal sealed record RunRecord(
    string Command,
    DateTimeOffset Started,
    DateTimeOffset Finished,
    IReadOnlyDictionary<string, string> Options,
    IReadOnlyDictionary<string, string> Budget,
    IReadOnlyDictionary<string, string> Versions,
    IReadOnlyDictionary<string, string> Machine)
{
    /// <summary>The runs file written beside the records.</summary>
    public const string FileName = "run.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    /// <summary>The record of this invocation (call after its experiments: the backend is loaded then).</summary>
    public static RunRecord Describe(Stage stages, Settings settings, Budget budget, DateTimeOffset started)
    {
        string F(double v) => v.ToString("G", CultureInfo.InvariantCulture);
        string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        var options = new Dictionary<string, string>
        {
            ["data"] = settings.DataDirectory is null ? "the shipped Fashion-MNIST test split (10,000 images)" : Path.GetFullPath(settings.DataDirectory),
            ["model"] = settings.Convolutional ? "conv" : "mlp",
            ["device"] = settings.Cuda ? "cuda" : "cpu",
            ["seed"] = I(settings.Seed),
            ["quick"] = settings.Quick ? "yes" : "no",
            ["repair"] = settings.NoRepair ? "no (--no-repair)" : "yes",
            ["workers"] = settings.Workers.ToString(CultureInfo.InvariantCulture) + " (one torch thread each; the records do not depend on it)",
        };
        var plan = new Dictionary<string, string>
        {
            ["images"] = budget.Examples is int n && (settings.DataDirectory is null || settings.Quick) ? I(n) + " (stratified; 80% training, 20% evaluation)" : "all (80% training, 20% evaluation)",
            ["sweep λ"] = string.Join(", ", budget.Lambdas.Select(F)),
            ["sweep γ"] = string.Join(", ", budget.Gammas.Select(F)),
            ["epochs of the shared start (every chain of the sweep begins from it)"] = I(budget.StartEpochs),
            ["epochs per sweep point (cap)"] = I(budget.SweepMaxEpochs),
            ["epochs to equilibrium before a process (cap)"] = I(budget.EquilibriumMaxEpochs),
            ["epochs per relaxation in a process (cap)"] = I(budget.RelaxMaxEpochs),
            ["iso-classification steps"] = I(budget.IsoSteps),
            ["transfer steps"] = I(budget.TransferSteps),
            ["corrections per step"] = I(budget.MaxCorrections),
            ["authors' controller: epochs per pass, passes per step (cap)"] = $"{I(budget.AuthorsEpochsPerPass)}, {I(budget.AuthorsMaxPasses)}",
            ["repair: rounds, re-relaxations"] = $"{I(budget.RepairRounds)}, {I(budget.RepairPoints)}",
            ["end-point test epochs"] = I(budget.EndpointEpochs),
        };
        var versions = new Dictionary<string, string>
        {
            ["FreeEnergy.Core"] = VersionOf(typeof(RateDistortionModel).Assembly),
            ["FreeEnergy.Reproduce"] = VersionOf(typeof(RunRecord).Assembly),
            ["TorchSharp"] = VersionOf(typeof(torch).Assembly, withCommit: false),
            ["libtorch"] = torch.__version__,
            [".NET"] = RuntimeInformation.FrameworkDescription,
            ["ScottPlot"] = VersionOf(typeof(ScottPlot.Plot).Assembly, withCommit: false),
            ["SkiaSharp"] = VersionOf(typeof(SkiaSharp.SKCanvas).Assembly, withCommit: false),
        };
        var machine = new Dictionary<string, string>
        {
            ["OS"] = $"{RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})",
            ["processor"] = ProcessorName(),
            ["logical processors"] = I(Environment.ProcessorCount),
            ["torch threads"] = settings.Cuda ? "n/a (cuda)" : I(FreeEnergyRuntime.ThreadCount),
        };
        return new RunRecord(CommandName(stages), started, DateTimeOffset.UtcNow, options, plan, versions, machine);
    }

    /// <summary>Adds <paramref name="run"/> to <see cref="FileName"/> in <paramref name="directory"/> (atomically).</summary>
    public static void Append(string directory, RunRecord run)
    {
        string path = Path.Combine(directory, FileName);
        var runs = new List<RunRecord>(Load(directory)) { run };
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(new RunsFile(runs), Json) + Environment.NewLine);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The runs recorded in <paramref name="directory"/>, oldest first (none when the file is absent).</summary>
    public static IReadOnlyList<RunRecord> Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize<RunsFile>(File.ReadAllText(path), Json)?.Runs ?? [];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a runs file of this program ({e.Message}); delete it to start a new one.", e);
        }
    }

    private static string CommandName(Stage stages) => stages switch
    {
        Stage.All => "all",
        Stage.Surface | Stage.Plot => "surface",
        Stage.IsoClassification | Stage.Plot => "iso-classification",
        Stage.Transfer | Stage.Plot => "transfer",
        _ => stages.ToString(),
    };

    /// <summary>The informational version: with the source commit after '+' for this repository's assemblies, without it for the others.</summary>
    private static string VersionOf(Assembly assembly, bool withCommit = true)
    {
        string version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString()
            ?? "unknown";
        return withCommit ? version : version.Split('+')[0];
    }

    /// <summary>The CPU model from /proc/cpuinfo on Linux; the architecture elsewhere.</summary>
    private static string ProcessorName()
    {
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
            {
                string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (line is not null && line.IndexOf(':', StringComparison.Ordinal) is int colon and >= 0)
                {
                    return line[(colon + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    /// <summary>The file's shape.</summary>
    private sealed record RunsFile(IReadOnlyList<RunRecord> Runs);
}
