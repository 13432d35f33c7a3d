using System.Text.Json.Nodes;

namespace FreeEnergy.ClusterSweep.Tests;

/// <summary>The program's commands in process: bad input, resuming, merging, and the comparison with a serial run.</summary>
public sealed class ClusterSweepAppTests(TinySweep sweep) : IClassFixture<TinySweep>
{
    [Fact]
    public void TheMergedShardsEqualTheSerialRun()
    {
        string merged = Path.Combine(sweep.Folder, "merged-equal.jsonl");
        var (code, output, error) = TinySweep.Run(["merge", sweep.Shard0, sweep.Shard1, "--out", merged, "--compare", sweep.Serial, .. TinySweep.Plan]);

        Assert.True(code == ClusterSweepApp.Success, error + output);
        Assert.Contains("merged 2 shard file(s): 4 points of plan", output, StringComparison.Ordinal);
        Assert.Contains("merged equals serial: 4 points bit for bit", output, StringComparison.Ordinal);
        Assert.Equal(4, File.ReadLines(merged).Count(l => l.Length > 0));
    }

    [Fact]
    public void AValueOneBitOffInTheSerialRecordsIsReportedAsADifference()
    {
        string altered = Path.Combine(sweep.Folder, "serial-altered.jsonl"); // beside serial.jsonl: its checkpoints resolve
        var lines = File.ReadAllLines(sweep.Serial);
        var record = JsonNode.Parse(lines[2])!.AsObject();
        double rate = record["rate"]!.GetValue<double>();
        record["rate"] = Math.BitIncrement(rate);
        lines[2] = record.ToJsonString();
        File.WriteAllLines(altered, lines);

        var (code, output, _) = TinySweep.Run(["merge", sweep.Shard0, sweep.Shard1, "--out", Path.Combine(sweep.Folder, "merged-bit.jsonl"), "--compare", altered, .. TinySweep.Plan]);

        Assert.Equal(ClusterSweepApp.Failure, code);
        Assert.Contains("merged differs from serial: 1 difference(s):", output, StringComparison.Ordinal);
        Assert.Contains($"point 2 (λ 2, γ 10): rate {rate:R} (merged) vs {Math.BitIncrement(rate):R} (serial)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ACheckpointOfOtherBytesIsReportedAsADifference()
    {
        using var copy = new TempDirectory();
        string serial = Path.Combine(copy.Path, "serial.jsonl");
        File.Copy(sweep.Serial, serial);
        string models = sweep.Serial + ".models";
        Directory.CreateDirectory(serial + ".models");
        foreach (string file in Directory.GetFiles(models))
        {
            File.Copy(file, Path.Combine(serial + ".models", Path.GetFileName(file)));
        }

        string checkpoint = Path.Combine(copy.Path, JsonNode.Parse(File.ReadLines(serial).First())!["checkpoint"]!.GetValue<string>());
        var bytes = File.ReadAllBytes(checkpoint);
        bytes[^1] ^= 1; // the last byte of the weights
        File.WriteAllBytes(checkpoint, bytes);

        var (code, output, _) = TinySweep.Run(["merge", sweep.Shard0, sweep.Shard1, "--out", Path.Combine(copy.Path, "merged.jsonl"), "--compare", serial, .. TinySweep.Plan]);

        Assert.Equal(ClusterSweepApp.Failure, code);
        Assert.Contains("merged differs from serial: 1 difference(s):", output, StringComparison.Ordinal);
        Assert.Contains("point 0 (λ 2, γ 1): the checkpoints differ (model weights)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AShardIndexOutsideTheShardsIsAUsageErrorThatNamesTheRange()
    {
        var (code, _, error) = TinySweep.Run(["shard", "--shard", "2", "--shards", "2", "--out", Path.Combine(sweep.Folder, "never.jsonl"), .. TinySweep.Plan]);

        Assert.Equal(ClusterSweepApp.UsageError, code);
        Assert.Contains("error: --shard 2 is not a shard of --shards 2: the shards are 0 to 1 (sbatch --array=0-1).", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(sweep.Folder, "never.jsonl")));
    }

    [Fact]
    public void MoreShardsThanChainsIsAUsageError()
    {
        var (code, _, error) = TinySweep.Run(["shard", "--shard", "0", "--shards", "3", "--out", Path.Combine(sweep.Folder, "never.jsonl"), .. TinySweep.Plan]);

        Assert.Equal(ClusterSweepApp.UsageError, code);
        Assert.Contains("error: --shards 3: the plan λ {2, 1} × γ {1, 10} has 2 chain(s) (one per γ), so it splits into 1 to 2 shards.", error, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutShardOutsideAnArrayTaskTheErrorSaysWhatToGive()
    {
        var (code, _, error) = TinySweep.Run(["shard", "--shards", "2", "--out", Path.Combine(sweep.Folder, "never.jsonl"), .. TinySweep.Plan]);

        Assert.Equal(ClusterSweepApp.UsageError, code);
        Assert.Contains("error: give --shard (0 to 1), or run as a task of a Slurm job array (sbatch --array=0-1), which sets SLURM_ARRAY_TASK_ID.", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x", "error: SLURM_ARRAY_TASK_ID is 'x', not a task index; give --shard (0 to 1).")]
    [InlineData("5", "error: SLURM_ARRAY_TASK_ID 5 is not a shard of --shards 2: the shards are 0 to 1 (sbatch --array=0-1).")]
    public void ABadArrayTaskIdIsAUsageError(string task, string message)
    {
        var (code, _, error) = TinySweep.Run(["shard", "--shards", "2", "--out", Path.Combine(sweep.Folder, "never.jsonl"), .. TinySweep.Plan], task);

        Assert.Equal(ClusterSweepApp.UsageError, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TheShardComesFromTheArrayTaskIdWhenNotGiven()
    {
        using var folder = new TempDirectory();
        string records = Path.Combine(folder.Path, "shard-1.jsonl");
        var (code, output, error) = TinySweep.Run(["shard", "--shards", "2", "--out", records, .. TinySweep.Plan], "1");

        Assert.True(code == ClusterSweepApp.Success, error + output);
        Assert.Contains("shard 1 of 2: 2 point(s) (0 resumed, 2 trained) of plan", output, StringComparison.Ordinal);
        Assert.Empty(RecordComparison.Differences(records, "this run", sweep.Shard1, "the fixture's shard 1"));
    }

    [Fact]
    public void AShardRunAgainResumesEveryFinishedPoint()
    {
        using var folder = new TempDirectory();
        string records = Path.Combine(folder.Path, "shard-0.jsonl");
        File.Copy(sweep.Shard0, records);
        Directory.CreateDirectory(records + ".models");
        foreach (string file in Directory.GetFiles(sweep.Shard0 + ".models"))
        {
            File.Copy(file, Path.Combine(records + ".models", Path.GetFileName(file)));
        }

        var (code, output, error) = TinySweep.Run(["shard", "--shard", "0", "--shards", "2", "--out", records, .. TinySweep.Plan]);

        Assert.True(code == ClusterSweepApp.Success, error + output);
        Assert.Contains("shard 0 of 2: 2 point(s) (2 resumed, 0 trained)", output, StringComparison.Ordinal);
        Assert.Empty(RecordComparison.Differences(records, "resumed", sweep.Shard0, "original"));
    }

    [Fact]
    public void AMissingShardFileIsAnErrorThatSaysHowToReRunIt()
    {
        string missing = Path.Combine(sweep.Folder, "shard-7.jsonl");
        var (code, _, error) = TinySweep.Run(["merge", sweep.Shard0, missing, "--out", Path.Combine(sweep.Folder, "never.jsonl"), .. TinySweep.Plan]);

        Assert.Equal(ClusterSweepApp.Failure, code);
        Assert.Contains($"error: the shard file '{missing}' does not exist: did its array task run? Re-run that task (sbatch --array=<its index> …)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingSerialFileIsAnError()
    {
        string missing = Path.Combine(sweep.Folder, "no-serial.jsonl");
        var (code, _, error) = TinySweep.Run(["merge", sweep.Shard0, sweep.Shard1, "--out", Path.Combine(sweep.Folder, "never.jsonl"), "--compare", missing, .. TinySweep.Plan]);

        Assert.Equal(ClusterSweepApp.Failure, code);
        Assert.Contains($"error: the serial records file '{missing}' does not exist; run the serial command first", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AnIncompleteMergeNamesTheMissingPointsAndWritesNothing()
    {
        string merged = Path.Combine(sweep.Folder, "never-incomplete.jsonl");
        var (code, _, error) = TinySweep.Run(["merge", sweep.Shard0, "--out", merged, .. TinySweep.Plan]);

        Assert.Equal(ClusterSweepApp.Failure, code);
        Assert.Contains("error: the shard files hold 2 of the 4 finished points of plan", error, StringComparison.Ordinal);
        Assert.Contains("missing: 2 (λ = 2, γ = 10) (chain 1), 3 (λ = 1, γ = 10) (chain 1)", error, StringComparison.Ordinal);
        Assert.False(File.Exists(merged));
    }

    [Fact]
    public void AShardFileOfAnotherPlanIsRefused()
    {
        using var folder = new TempDirectory();
        string other = Path.Combine(folder.Path, "other.jsonl");
        string[] otherPlan = ["--lambdas", "3", "--gammas", "1", "--examples", "100", "--epochs", "1"];
        var (made, madeOutput, madeError) = TinySweep.Run(["shard", "--shard", "0", "--shards", "1", "--out", other, .. otherPlan]);
        Assert.True(made == ClusterSweepApp.Success, madeError + madeOutput);

        var (code, _, error) = TinySweep.Run(["merge", sweep.Shard0, other, "--out", Path.Combine(folder.Path, "merged.jsonl"), .. TinySweep.Plan]);

        Assert.Equal(ClusterSweepApp.Failure, code);
        Assert.Contains($"error: '{other}' holds points of plan ", error, StringComparison.Ordinal);
        Assert.Contains("but these options give plan", error, StringComparison.Ordinal);
        Assert.Contains("give merge the plan options (--lambdas, --gammas) the shards ran with", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(folder.Path, "merged.jsonl")));
    }

    [Theory]
    [InlineData("--lambdas", "4,x", "error: --lambdas '4,x': 'x' is not a number; give comma-separated numbers such as 4,2,1.")]
    [InlineData("--gammas", "1,1", "error: the grid λ {4, 2, 1} × γ {1, 1}: γ = 1 appears 2 times in the grid.")]
    [InlineData("--lambdas", "0,1", "error: the grid λ {0, 1} × γ {1, 10, 100}: ")]
    [InlineData("--examples", "49", "error: --examples 49: give at least 50 images (5 a class: the 20 % evaluation split then holds each class).")]
    [InlineData("--data", "/nonexistent-fashion-mnist", "error: --data '/nonexistent-fashion-mnist' is not a folder; give a Fashion-MNIST IDX folder")]
    public void ABadPlanOptionIsAUsageError(string option, string value, string message)
    {
        var (code, _, error) = TinySweep.Run(["serial", "--out", Path.Combine(sweep.Folder, "never.jsonl"), option, value]);

        Assert.Equal(ClusterSweepApp.UsageError, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void NoCommandIsAUsageError()
    {
        var (code, _, error) = TinySweep.Run([]);

        Assert.Equal(ClusterSweepApp.UsageError, code);
        Assert.Contains("error: give a command: shard, serial or merge", error, StringComparison.Ordinal);
    }
}
