using System.Diagnostics;
using System.Text;

namespace FreeEnergy.Testing;

/// <summary>
/// Child processes for tests (a script, the built sample programs, python3, dotnet msbuild): output redirected and
/// collected as it arrives, bounded by a timeout. Linked into every test project from tests/Shared.
/// </summary>
internal static class ChildProcess
{
    /// <summary>
    /// The dotnet host that runs this test (DOTNET_HOST_PATH, set by dotnet test), else the current process when it is
    /// dotnet, else "dotnet" from PATH.
    /// </summary>
    public static string DotnetHost
    {
        get
        {
            string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(host) && File.Exists(host))
            {
                return host;
            }

            string? process = Environment.ProcessPath;
            return process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet" ? process : "dotnet";
        }
    }

    /// <summary>A start description for <paramref name="file"/> with <paramref name="arguments"/>.</summary>
    public static ProcessStartInfo StartInfo(string file, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        return start;
    }

    /// <summary>
    /// Starts <paramref name="start"/> with standard output and error redirected and collected (see
    /// <see cref="Running"/>). The caller waits for it or kills it, and disposes it.
    /// </summary>
    public static Running Start(ProcessStartInfo start) => new(start);

    /// <summary>
    /// Runs <paramref name="start"/> to its end, or stops it after <paramref name="timeout"/>: with
    /// <paramref name="terminateGrace"/>, SIGTERM first (so that a script's trap can clean up) and the whole process
    /// tree killed only if it is still running after that grace time; without, killed at once.
    /// </summary>
    public static Result Run(ProcessStartInfo start, TimeSpan timeout, TimeSpan? terminateGrace = null)
    {
        using var running = Start(start);
        return running.WaitForExit(timeout, terminateGrace);
    }

    /// <summary>How a child process ended.</summary>
    /// <param name="ExitCode">Its exit code; -1 when it timed out.</param>
    /// <param name="Output">Its standard output.</param>
    /// <param name="Error">Its standard error.</param>
    /// <param name="Interleaved">Standard output and error line by line, in the order they arrived (after a "timed out
    /// after ..." line when it timed out).</param>
    /// <param name="Elapsed">Wall time from start to end.</param>
    /// <param name="TimedOut">Whether it was stopped at the timeout.</param>
    public sealed record Result(int ExitCode, string Output, string Error, string Interleaved, TimeSpan Elapsed, bool TimedOut);

    /// <summary>A started child process whose output lines are collected as they arrive.</summary>
    public sealed class Running : IDisposable
    {
        private readonly StringBuilder output = new();
        private readonly StringBuilder error = new();
        private readonly StringBuilder interleaved = new();
        private readonly Stopwatch clock;

        internal Running(ProcessStartInfo start)
        {
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            start.UseShellExecute = false;
            Process = new Process { StartInfo = start };
            Process.OutputDataReceived += (_, e) => Append(output, e.Data);
            Process.ErrorDataReceived += (_, e) => Append(error, e.Data);
            clock = Stopwatch.StartNew();
            if (!Process.Start())
            {
                throw new InvalidOperationException($"{start.FileName} did not start");
            }

            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        /// <summary>The process (to kill it, or read its id).</summary>
        public Process Process { get; }

        /// <summary>Standard output and error so far, line by line in the order they arrived.</summary>
        public string Interleaved
        {
            get
            {
                lock (interleaved)
                {
                    return interleaved.ToString();
                }
            }
        }

        /// <summary>Waits for the end (see <see cref="ChildProcess.Run"/> for the timeout) and returns how it ended.</summary>
        public Result WaitForExit(TimeSpan timeout, TimeSpan? terminateGrace = null)
        {
            bool timedOut = false;
            if (!Process.WaitForExit(timeout))
            {
                timedOut = true;
                if (terminateGrace is { } grace)
                {
                    Process.Start("kill", ["-TERM", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
                }

                if (terminateGrace is null || !Process.WaitForExit(terminateGrace.Value))
                {
                    Process.Kill(entireProcessTree: true);
                }
            }

            Process.WaitForExit(); // drains the asynchronous readers
            lock (interleaved)
            {
                string lines = timedOut ? $"timed out after {timeout}\n{interleaved}" : interleaved.ToString();
                return new Result(timedOut ? -1 : Process.ExitCode, output.ToString(), error.ToString(), lines, clock.Elapsed, timedOut);
            }
        }

        /// <inheritdoc />
        public void Dispose() => Process.Dispose();

        private void Append(StringBuilder stream, string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (interleaved)
            {
                stream.AppendLine(line);
                interleaved.AppendLine(line);
            }
        }
    }
}
