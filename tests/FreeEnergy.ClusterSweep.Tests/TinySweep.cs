namespace FreeEnergy.ClusterSweep.Tests;

/// <summary>
/// A 2 × 2 sweep (2 chains) run once per test class: serially and as its 2 shards, in one folder. A few seconds.
/// </summary>
public sealed class TinySweep : IDisposable
{
    /// <summary>The plan options of every command of the tiny sweep.</summary>
    public static readonly string[] Plan = ["--lambdas", "2,1", "--gammas", "1,10", "--examples", "100", "--epochs", "1"];

    private readonly TempDirectory folder = new();

    public TinySweep()
    {
        Serial = Path.Combine(Folder, "serial.jsonl");
        Shard0 = Path.Combine(Folder, "shard-0.jsonl");
        Shard1 = Path.Combine(Folder, "shard-1.jsonl");
        foreach (var args in new[]
        {
            (string[])["serial", "--out", Serial, .. Plan],
            ["shard", "--shard", "0", "--shards", "2", "--out", Shard0, .. Plan],
            ["shard", "--shard", "1", "--shards", "2", "--out", Shard1, .. Plan],
        })
        {
            var (code, output, error) = Run(args);
            if (code != ClusterSweepApp.Success)
            {
                throw new InvalidOperationException($"{string.Join(' ', args)} exited with {code}: {error}{output}");
            }
        }
    }

    public string Folder => folder.Path;

    public string Serial { get; }

    public string Shard0 { get; }

    public string Shard1 { get; }

    /// <summary>Runs the program in process, with <c>SLURM_ARRAY_TASK_ID</c> set to <paramref name="arrayTask"/> (null: unset).</summary>
    public static (int Code, string Output, string Error) Run(string[] args, string? arrayTask = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = ClusterSweepApp.Run(args, output, error, name => name == ClusterSweepApp.ArrayTaskVariable ? arrayTask : null);
        return (code, output.ToString(), error.ToString());
    }

    public void Dispose() => folder.Dispose();
}
