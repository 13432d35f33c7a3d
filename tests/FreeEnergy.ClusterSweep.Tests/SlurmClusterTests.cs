using System.Diagnostics;
using System.Text;
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
        string script = Path.Combine(RepositoryRoot(), "scripts", "slurm-cluster-test.sh");
        string program = Path.Combine(AppContext.BaseDirectory, "FreeEnergy.ClusterSweep.dll");
        Assert.True(File.Exists(script), $"{script} is missing");
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "sweep.sbatch")), "sweep.sbatch is not beside the built program");

        var (code, output, elapsed) = RunScript(script, "--program", program);
        log.WriteLine($"scripts/slurm-cluster-test.sh: exit code {code} after {elapsed}");
        log.WriteLine(output);

        Assert.True(code == 0, $"scripts/slurm-cluster-test.sh exited with {code} after {elapsed}:\n{output}");
        var lines = output.Split('\n');
        Assert.Equal(2, lines.Count(l => l.StartsWith("merged equals serial: 9 points bit for bit", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("slurm-cluster-test: task 0 requeued (preempted) with ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("slurm-cluster-test: task 1 cancelled with ", StringComparison.Ordinal) && l.Contains("re-run with sbatch --array=1", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("slurm-cluster-test: PASSED: 9 points", StringComparison.Ordinal));
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "FreeEnergy.Core.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"no FreeEnergy.Core.sln above {AppContext.BaseDirectory}");
    }

    private static (int Code, string Output, TimeSpan Elapsed) RunScript(string script, params string[] args)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The script's stdout and stderr interleaved, in the order they arrive.
        var output = new StringBuilder();
        void Append(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        }

        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += Append;
        process.ErrorDataReceived += Append;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(Timeout))
        {
            // SIGTERM first: the script's trap stops the daemons it started.
            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit();
            lock (output)
            {
                return (-1, $"timed out after {Timeout}\n{output}", clock.Elapsed);
            }
        }

        process.WaitForExit(); // drains the asynchronous readers
        lock (output)
        {
            return (process.ExitCode, output.ToString(), clock.Elapsed);
        }
    }
}
