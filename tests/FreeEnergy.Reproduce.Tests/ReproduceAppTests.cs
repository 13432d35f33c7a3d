using System.Diagnostics;
using System.Text.Json;

namespace FreeEnergy.Reproduce.Tests;

public sealed class ReproduceAppTests
{
    internal static readonly string[] CommonFields = ["lambda", "gamma", "rate", "distortion", "classification", "accuracy", "freeEnergy"];

    /// <summary>The fields of every transfer records file (constant C, the authors' controller, fine-tuning).</summary>
    internal static readonly string[] TransferFields = [.. CommonFields, "drift", "mix", "sourceAccuracy", "targetAccuracy", "sourceClassification", "targetClassification", "epochs"];
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void AllQuickWritesTheRecordsAndThePlots()
    {
        using var folder = new TempDirectory();
        string results = Path.Combine(folder.Path, "results");
        var (code, output, error, _) = Run("all", "--quick", "--out", results);

        Assert.True(code == 0, $"exit code {code}; stderr:\n{error}");
        var surface = Records(Path.Combine(results, "surface.jsonl"));
        Assert.Equal(4, surface.Count); // 2 λ × 2 γ
        AssertFields(surface, CommonFields);
        var iso = Records(Path.Combine(results, "iso-classification.jsonl"));
        Assert.Equal(3, iso.Count); // step 0 and 2 steps
        AssertFields(iso, [.. CommonFields, "drift"]);
        var transfer = Records(Path.Combine(results, "transfer.jsonl"));
        Assert.Equal(3, transfer.Count);
        AssertFields(transfer, TransferFields);
        Assert.Equal([0.0, 0.5, 1.0], transfer.Select(r => r.GetProperty("mix").GetDouble()));

        // The two comparisons start from the same source equilibrium as the transfer at constant C.
        var authors = Records(Path.Combine(results, "transfer-authors.jsonl"));
        Assert.Equal(3, authors.Count); // step 0 and 2 steps of r
        AssertFields(authors, TransferFields);
        Assert.Equal([0.0, 0.5, 1.0], authors.Select(r => r.GetProperty("mix").GetDouble()));
        Assert.All(authors, r => Assert.Equal("authorsController", r.GetProperty("process").GetString()));
        var fineTuned = Records(Path.Combine(results, "transfer-finetune.jsonl"));
        Assert.Equal(2, fineTuned.Count); // the start and the end
        AssertFields(fineTuned, TransferFields);
        Assert.Equal([0.0, 1.0], fineTuned.Select(r => r.GetProperty("mix").GetDouble()));
        Assert.All(fineTuned, r => Assert.Equal("fineTuning", r.GetProperty("process").GetString()));
        Assert.Equal(transfer.Sum(r => r.GetProperty("epochs").GetInt32()), fineTuned[1].GetProperty("epochs").GetInt32());
        // Fine-tuning at equal compute: as many training images as the constant-C transfer processed.
        var equalImages = Records(Path.Combine(results, "transfer-finetune-images.jsonl"));
        Assert.Equal(2, equalImages.Count);
        long images = transfer.Sum(r => r.TryGetProperty("examplesSeen", out var e) && e.ValueKind == System.Text.Json.JsonValueKind.Number ? e.GetInt64() : 0);
        Assert.True(images > 0);
        Assert.True(equalImages[1].GetProperty("epochs").GetInt32() >= 1);

        // The controlled processes record every held-out check beside their steps.
        foreach (string name in new[] { "iso-classification.checks.jsonl", "transfer.checks.jsonl" })
        {
            var checks = Records(Path.Combine(results, name));
            Assert.NotEmpty(checks);
            Assert.All(checks, c => Assert.Equal("freeEnergy.controllerCheck", c.GetProperty("kind").GetString()));
        }

        foreach (var start in new[] { authors[0], fineTuned[0], equalImages[0] })
        {
            Assert.Equal(transfer[0].GetProperty("classification").GetDouble(), start.GetProperty("classification").GetDouble());
            Assert.Equal(transfer[0].GetProperty("targetAccuracy").GetDouble(), start.GetProperty("targetAccuracy").GetDouble());
        }

        // The certificate: printed after the sweep and after the repair loop, and written with the repair's attempts.
        Assert.Contains("certificate after the sweep", output, StringComparison.Ordinal);
        Assert.Contains("certificate after the repair", output, StringComparison.Ordinal);
        using (var certificate = JsonDocument.Parse(File.ReadAllText(Path.Combine(results, "certificate.json"))))
        {
            var root = certificate.RootElement;
            var first = root.GetProperty("certificates")[0];
            Assert.Equal(4, first.GetProperty("points").GetArrayLength());
            Assert.Equal(4 + 4 + 2 + 2 + 2, first.GetProperty("inequalities").GetInt32()); // ordered chords: 2 rows × 2, 2 columns × 2; 2 envelope; 2 + 2 monotonicity pairs
            var repair = root.GetProperty("repair");
            Assert.InRange(repair.GetProperty("attempts").GetArrayLength(), 0, 1); // the quick budget: 1 re-relaxation
            Assert.Contains(repair.GetProperty("stop").GetString(), new[] { "NoFailedPoints", "RoundsSpent", "PointsSpent", "NoProgress" });
        }

        // The transfer's shared source checkpoint is removed; the surface's shared start stays (a resume loads it).
        Assert.Equal([Experiments.SharedStartFile], Directory.EnumerateFiles(results, "*.fe").Select(Path.GetFileName));
        Assert.Empty(Directory.EnumerateFiles(results, ".*"));

        foreach (string name in new[] { "rd-curves.png", "surface-rdc.png", "iso-classification.png", "iso-classification-control.png", "transfer.png", "transfer-control.png", "transfer-comparison.png" })
        {
            string path = Path.Combine(results, name);
            Assert.True(File.Exists(path), $"{name} is missing");
            byte[] bytes = File.ReadAllBytes(path);
            Assert.True(bytes.Length > 10_000, $"{name} has only {bytes.Length} bytes");
            Assert.Equal(PngSignature, bytes[..8]);
            Assert.Contains(path, output, StringComparison.Ordinal);
        }

        // Issue 17: resuming this folder with another --model ended in an unhandled exception (exit 134, a stack
        // trace); it is one error line and exit code 1, and the records are untouched.
        string recordsBefore = File.ReadAllText(Path.Combine(results, "surface.jsonl"));
        var (otherCode, _, otherError, _) = Run("surface", "--quick", "--model", "conv", "--out", results);
        Assert.Equal(ReproduceApp.Failure, otherCode);
        string errorLine = Assert.Single(Lines(otherError), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("another structure", errorLine, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", otherError, StringComparison.Ordinal);
        Assert.Equal(recordsBefore, File.ReadAllText(Path.Combine(results, "surface.jsonl")));

        // Records whose chains started from the initial weights (a folder of a release before the shared start) are
        // not continued from a shared start: one error line that says what to do, records untouched.
        File.Delete(Path.Combine(results, Experiments.SharedStartFile + ".json"));
        var (oldCode, _, oldError, _) = Run("surface", "--quick", "--out", results);
        Assert.Equal(ReproduceApp.Failure, oldCode);
        string oldLine = Assert.Single(Lines(oldError), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("started from the initial weights", oldLine, StringComparison.Ordinal);
        Assert.Contains("Use a fresh --out folder", oldLine, StringComparison.Ordinal);
        Assert.Equal(recordsBefore, File.ReadAllText(Path.Combine(results, "surface.jsonl")));
    }

    [Fact]
    public void ADivergenceOrAnyUnexpectedExceptionIsOneErrorLineAndExitCode1()
    {
        // Issue 17: exceptions the program did not list (TrainingDivergedException among them) escaped Main.
        var exceptions = new Exception[]
        {
            new FreeEnergy.Core.Training.TrainingDivergedException(1, 3, new FreeEnergy.Core.Models.Multipliers(4, 10), double.NaN),
            new InvalidOperationException("The model in 'x.fe' does not fit this model: Architecture: this model has Conv, the other has Mlp."),
            new NotSupportedException("first line\nsecond line"),
        };
        foreach (var exception in exceptions)
        {
            using var error = new StringWriter();
            Assert.Equal(ReproduceApp.Failure, ReproduceApp.Fail(exception, error));
            string line = Assert.Single(Lines(error.ToString()));
            Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        }

        using (var diverged = new StringWriter())
        {
            ReproduceApp.Fail(exceptions[0], diverged);
            Assert.Contains("Training diverged at epoch 1, step 3", diverged.ToString(), StringComparison.Ordinal);
            Assert.Contains("The model is unchanged", diverged.ToString(), StringComparison.Ordinal);
        }

        using var unexpected = new StringWriter();
        ReproduceApp.Fail(exceptions[2], unexpected);
        Assert.Equal("error: unexpected NotSupportedException: first line second line", unexpected.ToString().Trim());
    }

    /// <summary>Issue 14: the experiments and the surface's chains run at once; every records file comes out the same as a serial run's.</summary>
    [Fact]
    public void AllQuickWritesTheSameRecordsWithOneWorkerAsWithSeveral()
    {
        using var folder = new TempDirectory();
        string serial = Path.Combine(folder.Path, "serial"), parallel = Path.Combine(folder.Path, "parallel");
        var (serialCode, serialOutput, serialError, _) = Run("all", "--quick", "--workers", "1", "--out", serial);
        Assert.True(serialCode == 0, $"exit code {serialCode}; stderr:\n{serialError}");
        var (code, output, error, _) = Run("all", "--quick", "--workers", "3", "--out", parallel);
        Assert.True(code == 0, $"exit code {code}; stderr:\n{error}");

        // Every records file (run.json, the log of what was run and when, differs by its clock and its --workers).
        string[] files = [.. Directory.GetFiles(serial).Select(Path.GetFileName).Where(n => (n!.EndsWith(".jsonl", StringComparison.Ordinal) || n.EndsWith(".json", StringComparison.Ordinal)) && n != "run.json").Order()!];
        Assert.True(files.Length >= 10, string.Join(", ", files));
        foreach (string name in files)
        {
            Assert.True(File.Exists(Path.Combine(parallel, name)), $"{name} is missing from the parallel run");
            Assert.Equal(WithoutClock(File.ReadAllText(Path.Combine(serial, name))), WithoutClock(File.ReadAllText(Path.Combine(parallel, name))));
        }

        foreach (string checkpoint in Directory.GetFiles(Path.Combine(serial, "surface.jsonl.models")))
        {
            Assert.Equal(File.ReadAllBytes(checkpoint), File.ReadAllBytes(Path.Combine(parallel, "surface.jsonl.models", Path.GetFileName(checkpoint))));
        }

        // The log names the worker of every finished sweep point, and the run ends with a summary table of its stages.
        var sweepLines = Lines(error).Where(l => l.Contains("Sweep point", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, sweepLines.Count);
        Assert.All(sweepLines, l => Assert.Matches(@"\(worker [0-2]\)$", l));
        Assert.Contains(Lines(error), l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\d\d:\d\d:\d\d info w[0-2]: "));
        foreach (string text in new[] { serialOutput, output })
        {
            Assert.Contains("stages", text, StringComparison.Ordinal);
            Assert.Contains("transfer at constant C", text, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("\u001b[", error + output, StringComparison.Ordinal); // no colour or cursor codes when redirected
    }

    [Fact]
    public void ANonPositiveWorkerCountIsAUsageError()
    {
        using var folder = new TempDirectory();
        foreach (string workers in new[] { "0", "-2" })
        {
            var (code, _, error, _) = Run("surface", "--workers", workers, "--out", folder.Path);
            Assert.Equal(ReproduceApp.UsageError, code);
            Assert.Contains("--workers must be at least 1", Assert.Single(Lines(error)), StringComparison.Ordinal);
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(folder.Path));
    }

    /// <summary>A records file without its wall-clock fields (seconds of a point, a step or the repair).</summary>
    private static string WithoutClock(string text) => System.Text.RegularExpressions.Regex.Replace(text, "\"seconds\": ?[^,}\n]*", "\"seconds\":0");

    [Fact]
    public void AnUnknownCommandIsAUsageError()
    {
        using var folder = new TempDirectory();
        var (code, _, error, _) = Run("frobnicate", "--out", folder.Path);

        Assert.Equal(ReproduceApp.UsageError, code);
        Assert.Contains("frobnicate", error, StringComparison.Ordinal);
        Assert.StartsWith("error:", error, StringComparison.Ordinal);
        Assert.Single(Lines(error));
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder.Path));
    }

    [Fact]
    public void AMissingDataFolderIsNamed()
    {
        using var folder = new TempDirectory();
        string missing = Path.Combine(folder.Path, "no-such-data");
        var (code, _, error, _) = Run("surface", "--quick", "--data", missing, "--out", Path.Combine(folder.Path, "results"));

        Assert.Equal(ReproduceApp.Failure, code);
        Assert.Contains(missing, error, StringComparison.Ordinal);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
        Assert.Single(Lines(error));
        Assert.False(File.Exists(Path.Combine(folder.Path, "results", "surface.jsonl")));
    }

    [Fact]
    public void AnUnwritableOutputFolderIsNamed()
    {
        using var folder = new TempDirectory();
        string file = Path.Combine(folder.Path, "a-file");
        File.WriteAllText(file, "not a folder");
        string output = Path.Combine(file, "results"); // a folder cannot be made inside a file
        var (code, _, error, _) = Run("all", "--quick", "--out", output);

        Assert.Equal(ReproduceApp.Failure, code);
        Assert.Contains("cannot write to the output folder", error, StringComparison.Ordinal);
        Assert.Contains(output, error, StringComparison.Ordinal);
        Assert.Single(Lines(error));
    }

    [Fact]
    public void CudaWithoutACudaBackendIsOneClearError()
    {
        // The test build carries only the CPU libtorch, so --device cuda cannot work here, GPU or not.
        using var folder = new TempDirectory();
        string results = Path.Combine(folder.Path, "results");
        var (code, _, error, _) = Run("surface", "--quick", "--device", "cuda", "--out", results);

        Assert.Equal(ReproduceApp.Failure, code);
        string line = Assert.Single(Lines(error));
        Assert.StartsWith("error: --device cuda:", line, StringComparison.Ordinal);
        Assert.Contains("CudaBundle", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(results, "surface.jsonl")));
    }

    [Fact]
    public void CertifyReadsTheRecordsInTheOutputFolder()
    {
        using var folder = new TempDirectory();
        var (missingCode, _, missingError, _) = Run("certify", "--out", folder.Path);
        Assert.Equal(ReproduceApp.Failure, missingCode);
        Assert.Contains("no surface records", missingError, StringComparison.Ordinal);

        // A records file of a surface that is known to fail: raise F at one point of a concave quadratic surface.
        string records = Path.Combine(folder.Path, "surface.jsonl");
        var lines = new List<string>();
        int index = 0;
        foreach (double gamma in new[] { 0.0, 1.0 })
        {
            foreach (double lambda in new[] { 2.0, 1.0 })
            {
                // F = 3·√λ + √(1 + γ): D = 1.5/√λ, C = 0.5/√(1 + γ), R = F − λD − γC; point 0 gets 1 nat more rate.
                double d = 1.5 / Math.Sqrt(lambda), c = 0.5 / Math.Sqrt(1 + gamma);
                double r = (3 * Math.Sqrt(lambda)) + Math.Sqrt(1 + gamma) - (lambda * d) - (gamma * c) + (index == 0 ? 1 : 0);
                lines.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{{\"kind\":\"freeEnergy.surfacePoint\",\"version\":1,\"plan\":\"p\",\"index\":{index},\"lambda\":{lambda},\"gamma\":{gamma},\"rate\":{r:R},\"distortion\":{d:R},\"classification\":{c:R},\"freeEnergy\":{r + (lambda * d) + (gamma * c):R}}}"));
                index++;
            }
        }

        // And a point whose training diverged: recorded without functionals, left out of the checks, and said so.
        lines.Add("{\"kind\":\"freeEnergy.surfacePoint\",\"version\":3,\"plan\":\"p\",\"index\":4,\"lambda\":0.5,\"gamma\":0,\"seconds\":0.1,\"seed\":1,\"status\":\"diverged\",\"divergedAt\":{\"epoch\":2,\"step\":7}}");
        File.WriteAllLines(records, lines);
        var (code, output, error, _) = Run("certify", "--out", folder.Path);

        Assert.True(code == 0, $"exit code {code}; stderr:\n{error}");
        Assert.Contains("left out: point 4 (λ = 0.5, γ = 0): the training diverged at epoch 2, step 7: no functionals", output, StringComparison.Ordinal);
        Assert.Contains("Evaluation certificate: Failed", output, StringComparison.Ordinal);
        Assert.Contains("failed points: 0", output, StringComparison.Ordinal);
        using var certificate = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.Path, "certificate.json")));
        var first = certificate.RootElement.GetProperty("certificates")[0];
        Assert.Equal([0], first.GetProperty("failedPoints").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(JsonValueKind.Null, certificate.RootElement.GetProperty("repair").ValueKind);
    }

    [Fact]
    public void PlotWithoutRecordsFails()
    {
        using var folder = new TempDirectory();
        var (code, _, error, _) = Run("plot", "--out", folder.Path);

        Assert.Equal(ReproduceApp.Failure, code);
        Assert.Contains("no records to plot", error, StringComparison.Ordinal);
    }

    internal static (int Code, string Output, string Error, TimeSpan Elapsed) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var clock = Stopwatch.StartNew();
        int code = ReproduceApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString(), clock.Elapsed);
    }

    internal static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    internal static List<JsonElement> Records(string path)
    {
        Assert.True(File.Exists(path), $"{path} is missing");
        return [.. File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    internal static void AssertFields(List<JsonElement> records, string[] fields)
    {
        Assert.NotEmpty(records);
        foreach (var (record, index) in records.Select((r, i) => (r, i)))
        {
            foreach (string field in fields)
            {
                Assert.True(record.TryGetProperty(field, out var value), $"record {index} has no '{field}': {record}");
                Assert.Equal(JsonValueKind.Number, value.ValueKind);
                Assert.True(double.IsFinite(value.GetDouble()), $"record {index}: '{field}' is {value}");
            }
        }
    }
}
