using static FreeEnergy.Reproduce.Tests.ReproduceAppTests;

namespace FreeEnergy.Reproduce.Tests;

/// <summary>End-to-end runs with <c>--data DIR</c>: a tiny IDX folder, and folders with a missing or a damaged file.</summary>
public sealed class DataFolderTests
{
    [Fact]
    public void AllQuickRunsOnAnIdxFolder()
    {
        using var folder = new TempDirectory();
        string data = Path.Combine(folder.Path, "fashion-mnist");
        IdxFolder.Write(data);
        string results = Path.Combine(folder.Path, "results");

        var (code, output, error, elapsed) = Run("all", "--quick", "--data", data, "--out", results);

        Assert.True(code == ReproduceApp.Success, $"exit code {code}; stderr:\n{error}");
        Assert.True(elapsed < TimeSpan.FromMinutes(1), $"all --quick --data took {elapsed}");
        var surface = Records(Path.Combine(results, "surface.jsonl"));
        Assert.Equal(4, surface.Count);
        AssertFields(surface, CommonFields);
        AssertFields(Records(Path.Combine(results, "iso-classification.jsonl")), [.. CommonFields, "drift"]);
        foreach (string file in new[] { "transfer.jsonl", "transfer-authors.jsonl", "transfer-finetune.jsonl" })
        {
            var records = Records(Path.Combine(results, file));
            AssertFields(records, TransferFields);
            Assert.Equal(1.0, records[^1].GetProperty("mix").GetDouble());
        }

        foreach (string name in new[] { "rd-curves.png", "surface-rdc.png", "iso-classification.png", "transfer.png", "transfer-comparison.png" })
        {
            Assert.Contains(Path.Combine(results, name), output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("missing", IdxFolder.TestLabels, "not found")]
    [InlineData("truncated", IdxFolder.TrainingImages, "truncated")]
    [InlineData("wrong-magic", IdxFolder.TestLabels, "magic")]
    public void ABadDataFolderGivesOneClearError(string damage, string file, string expected)
    {
        using var folder = new TempDirectory();
        string data = Path.Combine(folder.Path, "fashion-mnist");
        IdxFolder.Write(data);
        string path = Path.Combine(data, file);
        switch (damage)
        {
            case "missing":
                File.Delete(path);
                break;
            case "truncated":
                byte[] bytes = File.ReadAllBytes(path);
                File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
                break;
            default:
                // A label file that holds images: right name, right compression, wrong magic number.
                IdxFolder.WriteGzip(path, IdxFolder.Images(IdxFolder.PerClass * 10, seed: 3));
                break;
        }

        string results = Path.Combine(folder.Path, "results");
        var (code, _, error, _) = Run("surface", "--quick", "--data", data, "--out", results);

        Assert.Equal(ReproduceApp.Failure, code);
        string line = Assert.Single(Lines(error));
        Assert.StartsWith("error:", line, StringComparison.Ordinal);
        Assert.True(line.Contains(file.Replace(".gz", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal), $"'{file}' not named in: {line}");
        Assert.True(line.Contains(expected, StringComparison.OrdinalIgnoreCase), $"'{expected}' not in: {line}");
        Assert.False(File.Exists(Path.Combine(results, "surface.jsonl")), "records were written from bad data");
    }
}
