using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace FreeEnergy.Reproduce.Tests;

/// <summary>
/// Runs build/test-local-feed.sh: packs the solution into a folder feed, makes a new console app that adds
/// FreeEnergy.Core, FreeEnergy.Datasets and TorchSharp-cpu from it, and runs the quick start. Slow (pack,
/// restore, build and a short training run: one to three minutes on two cores), so it is the only such test.
/// </summary>
public sealed class LocalFeedPackageTests(ITestOutputHelper log)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    [Fact]
    [Trait("Category", "Slow")]
    public void ANewConsoleAppRunsTheQuickStartFromTheLocalFeedPackages()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // the script is bash, tested on Linux; elsewhere run it by hand
        }

        string script = Path.Combine(RepositoryRoot(), "build", "test-local-feed.sh");
        Assert.True(File.Exists(script), $"{script} is missing");

        var (code, output, elapsed) = RunScript(script, "2");
        log.WriteLine($"build/test-local-feed.sh: exit code {code} after {elapsed}");
        log.WriteLine(output);

        Assert.True(code == 0, $"build/test-local-feed.sh exited with {code} after {elapsed}:\n{output}");
        Assert.Contains("test-local-feed: PASSED", output, StringComparison.Ordinal);
        foreach (string line in new[] { "rate R", "distortion D", "classification C" })
        {
            Assert.Contains(line, output, StringComparison.Ordinal);
        }
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
            WorkingDirectory = Path.GetDirectoryName(script)!,
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
            process.Kill(entireProcessTree: true);
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
