using Xunit.Abstractions;

namespace FreeEnergy.ClusterSweep.Tests;

/// <summary>
/// Runs scripts/slurm-cluster-test.sh on the program built beside this test: a one-node Slurm cluster (slurm-wlm and
/// munge, started by the script) runs a sweep as a job array; the merged shards must equal a serial run bit for bit,
/// also after a task was preempted (requeued) and another cancelled and re-submitted. Where Slurm is not installed the
/// test fails with the script's reason and the install command (.ci/run installs it); it is never skipped.
/// </summary>
public sealed class SlurmClusterTests(ITestOutputHelper log)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(15);

    [Fact]
    [Trait("Category", "Slow")]
    public void AJobArrayOfShardsOnARealSlurmClusterMergesToTheSerialSurface()
    {
        Assert.True(OperatingSystem.IsLinux(), "The Slurm cluster test runs on Linux (Debian: apt-get update && apt-get install -y --no-install-recommends slurm-wlm munge); exclude it elsewhere with --filter \"FullyQualifiedName!~SlurmClusterTests\".");
        string script = Path.Combine(TestRepository.Root, "scripts", "slurm-cluster-test.sh");
        string program = Path.Combine(AppContext.BaseDirectory, "FreeEnergy.ClusterSweep.dll");
        Assert.True(File.Exists(script), $"{script} is missing");
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "sweep.sbatch")), "sweep.sbatch is not beside the built program");

        // On timeout SIGTERM first: the script's trap stops the daemons it started.
        var (code, _, _, output, elapsed, _) = ChildProcess.Run(ChildProcess.StartInfo("bash", [script, "--program", program]), Timeout, terminateGrace: TimeSpan.FromSeconds(30));
        log.WriteLine($"scripts/slurm-cluster-test.sh: exit code {code} after {elapsed}");
        log.WriteLine(output);

        Assert.True(code == 0, $"scripts/slurm-cluster-test.sh exited with {code} after {elapsed}:\n{output}");
        var lines = output.Split('\n');
        Assert.Equal(2, lines.Count(l => l.StartsWith("merged equals serial: 9 points bit for bit", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("slurm-cluster-test: task 0 requeued (preempted) with ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("slurm-cluster-test: task 1 cancelled with ", StringComparison.Ordinal) && l.Contains("re-run with sbatch --array=1", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("slurm-cluster-test: PASSED: 9 points", StringComparison.Ordinal));
    }
}
