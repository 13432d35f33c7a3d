using System.Text;

namespace FreeEnergy.Core.Tests.Interop;

/// <summary>
/// Runs the repository's python/freeenergy_torch with an interpreter that imports torch: $FREEENERGY_PYTHON if set,
/// else /usr/bin/python3 (where Debian's python3-torch installs), else python3 on PATH (which may be a pyenv
/// Python without torch). No such interpreter is a test failure that says how to install one, never a skip.
/// </summary>
internal static class PythonTorch
{
    public const string InstallHint = "Install PyTorch for Debian's Python: apt-get update && apt-get install -y --no-install-recommends python3-torch (PyTorch 1.13 for /usr/bin/python3), or set FREEENERGY_PYTHON to an interpreter that imports torch.";

    private static readonly Lazy<(string Interpreter, string Version)> Located = new(() => Locate(DefaultCandidates()));

    /// <summary>The interpreter used, and its torch version.</summary>
    public static (string Interpreter, string Version) Interpreter => Located.Value;

    public static string RepositoryRoot => TestRepository.Root;

    public static IReadOnlyList<string> DefaultCandidates()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("FREEENERGY_PYTHON") is { Length: > 0 } chosen)
        {
            candidates.Add(chosen);
        }

        candidates.Add("/usr/bin/python3");
        candidates.Add("python3");
        return candidates;
    }

    /// <summary>The first candidate that imports torch, with torch's version; otherwise an exception giving every candidate's failure and the install command.</summary>
    public static (string Interpreter, string Version) Locate(IReadOnlyList<string> candidates)
    {
        var failures = new List<string>();
        foreach (string candidate in candidates)
        {
            try
            {
                var (code, output, error) = RunProcess(candidate, ["-c", "import torch; print(torch.__version__)"], TimeSpan.FromSeconds(120));
                if (code == 0)
                {
                    return (candidate, output.Trim());
                }

                string last = error.Trim().Split('\n').LastOrDefault() ?? string.Empty;
                failures.Add($"{candidate}: exit code {code} ({last})");
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                failures.Add($"{candidate}: cannot start ({ex.Message})");
            }
        }

        throw new InvalidOperationException($"No Python interpreter that imports torch was found (tried {string.Join("; ", failures)}). {InstallHint}");
    }

    /// <summary>Runs <c>python -m freeenergy_torch ARGS</c> from the repository's python/ folder; returns stdout, or throws with stderr.</summary>
    public static string Run(params string[] arguments)
    {
        string python = Interpreter.Interpreter;
        var (code, output, error) = RunProcess(python, ["-m", "freeenergy_torch", .. arguments], TimeSpan.FromMinutes(5));
        if (code != 0)
        {
            throw new InvalidOperationException($"{python} -m freeenergy_torch {string.Join(' ', arguments)} exited with {code}:\n{error}");
        }

        return output;
    }

    /// <summary>Runs a Python snippet with freeenergy_torch importable; returns stdout, or throws with stderr.</summary>
    public static string RunCode(string code)
    {
        string python = Interpreter.Interpreter;
        var (exit, output, error) = RunProcess(python, ["-c", code], TimeSpan.FromMinutes(5));
        if (exit != 0)
        {
            throw new InvalidOperationException($"{python} -c ... exited with {exit}:\n{error}");
        }

        return output;
    }

    private static (int Code, string Output, string Error) RunProcess(string file, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var start = ChildProcess.StartInfo(file, arguments, Path.Combine(RepositoryRoot, "python"));
        start.StandardOutputEncoding = Encoding.UTF8;
        start.StandardErrorEncoding = Encoding.UTF8;
        start.Environment["PYTHONPATH"] = Path.Combine(RepositoryRoot, "python");
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1"; // no __pycache__ in the repository
        start.Environment["OMP_NUM_THREADS"] = "1"; // like the tests' torch (TorchFixture), on a shared 2-core machine
        var result = ChildProcess.Run(start, timeout);
        if (result.TimedOut)
        {
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {timeout}.");
        }

        return (result.ExitCode, result.Output, result.Error);
    }
}
