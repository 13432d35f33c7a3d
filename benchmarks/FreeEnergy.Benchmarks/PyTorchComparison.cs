using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using static FreeEnergy.Benchmarks.BenchmarkArguments;
using static FreeEnergy.Benchmarks.Statistics;

namespace FreeEnergy.Benchmarks;

/// <summary>
/// Per-step training time of the library, of plain TorchSharp (<see cref="RawTrainingLoop"/>) and of PyTorch
/// (<c>benchmarks/pytorch/step.py</c>, Debian's python3-torch) on the same work: default MLP at K = 1 and K = 8 and
/// the conv model, batch 64, λ = γ = 1, Adam. Every setting is a worker process with its thread counts fixed at
/// start-up (.NET: <see cref="StepWorker"/> at 1 and 2 torch threads, each with and without retained freed memory;
/// Python: torch threads × OpenBLAS threads 1×1, 1×2, 2×1, 2×2, and 1×1, 1×2 with the same allocator setting); the orchestrator sends one block to each in turn, rotating the order every round, so
/// that all settings see about the same load from other processes.
/// </summary>
internal static class PyTorchComparison
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static int Run(string[] args)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine("""
                pytorch [--rounds N] [--mlp-steps N] [--conv-steps N] [--conv-rounds N] [--only mlp-k1,mlp-k8,conv-k1]
                        [--python PATH] [--script PATH] [--data DIR] [--no-python] [--phases]
                        [--dotnet-threads 1,2] [--no-retain] [--python-settings 1x1,1x2,2x1,2x2] [--variant LABEL:THREADS:VAR=VALUE,...]... [--json FILE]
                  Library vs plain TorchSharp vs PyTorch per-step time, interleaved blocks in one run.
                  Defaults: 7 rounds, 20 steps per MLP block, 3 rounds of 2 steps for the conv model,
                  /usr/bin/python3, benchmarks/pytorch/step.py and data/fashion-mnist found above the binary.
                  --phases adds raw-loop and PyTorch blocks with forward / backward / optimiser timed apart.
                  --python-settings: the PyTorch workers, torch threads x OpenBLAS threads.
                  Workers "+retain" call FreeEnergyRuntime.TryRetainFreedNativeMemory() (.NET) or get the same glibc
                  tunables (PyTorch); --no-retain leaves them out.
                  --variant adds a .NET worker with environment variables (e.g. mkl256:1:MKL_ENABLE_INSTRUCTIONS=AVX2).
                """);
            return 0;
        }

        int rounds = Option(args, "--rounds", 7);
        int mlpSteps = Option(args, "--mlp-steps", 20);
        int convSteps = Option(args, "--conv-steps", 2);
        int convRounds = Option(args, "--conv-rounds", 3);
        bool phases = args.Contains("--phases");
        string python = Option(args, "--python") ?? "/usr/bin/python3";
        string? script = Option(args, "--script") ?? FindAbove(Path.Combine("benchmarks", "pytorch", "step.py"));
        string? data = Option(args, "--data") ?? FindAbove(Path.Combine("data", "fashion-mnist"));
        var only = Option(args, "--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var configurations = new List<(string Name, string Model, int Samples, int Steps, int Rounds)>
        {
            ("mlp-k1", "mlp", 1, mlpSteps, rounds),
            ("mlp-k8", "mlp", 8, mlpSteps, rounds),
            ("conv-k1", "conv", 1, convSteps, convRounds),
        };
        configurations.RemoveAll(c => only is not null && !only.Contains(c.Name, StringComparer.OrdinalIgnoreCase));

        var workers = new List<Worker>();
        try
        {
            foreach (string threads in (Option(args, "--dotnet-threads") ?? "1,2").Split(','))
            {
                workers.Add(Worker.DotNet($"{threads}t", int.Parse(threads, CultureInfo.InvariantCulture), [], false));
                if (!args.Contains("--no-retain"))
                {
                    workers.Add(Worker.DotNet($"{threads}t+retain", int.Parse(threads, CultureInfo.InvariantCulture), [], true));
                }
            }

            foreach (string variant in Options(args, "--variant"))
            {
                string[] parts = variant.Split(':', 3);
                if (parts.Length < 2)
                {
                    Console.Error.WriteLine($"--variant '{variant}': expected LABEL:THREADS[:VAR=VALUE,...].");
                    return 1;
                }

                var environment = parts.Length == 3
                    ? parts[2].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).Select(p => (p[0], p[1])).ToArray()
                    : [];
                workers.Add(Worker.DotNet(parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture), environment, false));
            }

            if (!args.Contains("--no-python"))
            {
                if (script is null || data is null || !File.Exists(python))
                {
                    Console.Error.WriteLine($"PyTorch side not found (python {python}, script {script ?? "?"}, data {data ?? "?"}): install it with 'apt-get install -y python3-torch libopenblas0-pthread', pass --python/--script/--data, or run with --no-python.");
                    return 1;
                }

                var pythonSettings = (Option(args, "--python-settings") ?? "1x1,1x2,2x1,2x2").Split(',')
                    .Select(p => p.Split('x')).Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture)));
                foreach (var (threads, blas) in pythonSettings)
                {
                    workers.Add(Worker.Python($"{threads}t-blas{blas}", python, script, data, threads, blas, false));
                }

                if (!args.Contains("--no-retain"))
                {
                    // The allocator setting of the library's +retain workers, given to PyTorch too (as glibc tunables).
                    workers.Add(Worker.Python("1t-blas1+retain", python, script, data, 1, 1, true));
                    workers.Add(Worker.Python("1t-blas2+retain", python, script, data, 1, 2, true));
                }
            }

            // Every (worker, side) pair is one timed setting.
            var settings = workers.SelectMany(w => w.Sides.Select(side => (Worker: w, Side: side))).ToList();
            if (phases)
            {
                settings.AddRange(workers.Where(w => w.Kind == "torchsharp" || w.Label.EndsWith("blas1", StringComparison.Ordinal)).Select(w => (w, "phases")));
            }

            string loadStart = File.ReadAllText("/proc/loadavg").Trim();
            Console.WriteLine($"load average at start: {loadStart}; CPU: {CpuModel()}");
            var results = new List<Result>();
            foreach (var (name, model, samples, steps, configurationRounds) in configurations)
            {
                var blocks = settings.ToDictionary(s => s, _ => new List<JsonElement>());
                foreach (var s in settings)
                {
                    s.Worker.Block(s.Side, model, samples, steps); // warm-up
                }

                for (int round = 0; round < configurationRounds; round++)
                {
                    // Rotate the order so that no setting always follows the same one.
                    for (int i = 0; i < settings.Count; i++)
                    {
                        var s = settings[(i + round) % settings.Count];
                        blocks[s].Add(s.Worker.Block(s.Side, model, samples, steps));
                    }

                    Console.Error.Write('.');
                }

                Console.Error.WriteLine();
                foreach (var s in settings)
                {
                    var list = blocks[s];
                    double[] ms = [.. list.Select(b => b.GetProperty("wall").GetDouble() * 1000 / steps)];
                    double[] cpu = [.. list.Select(b => b.GetProperty("cpu").GetDouble() * 1000 / steps)];
                    double[]? phaseMs = s.Side == "phases"
                        ? new[] { "forward", "backward", "optimizer" }.Select(p => Median(list.Select(b => b.GetProperty(p).GetDouble() * 1000 / steps))).ToArray()
                        : null;
                    results.Add(new Result(name, $"{s.Worker.Kind} {s.Worker.Label} {s.Side}", s.Side, ms, cpu, phaseMs, list[^1].GetProperty("loss").GetDouble()));
                }

                Print(name, results.Where(r => r.Configuration == name).ToList(), steps, configurationRounds);
            }

            string loadEnd = File.ReadAllText("/proc/loadavg").Trim();
            Console.WriteLine($"load average at end: {loadEnd}");
            string? json = Option(args, "--json");
            if (json is not null)
            {
                File.WriteAllText(json, JsonSerializer.Serialize(new
                {
                    cpu = CpuModel(),
                    loadStart,
                    loadEnd,
                    date = DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture),
                    results = results.Select(r => new { r.Configuration, r.Setting, millisecondsPerStep = r.Ms, cpuMillisecondsPerStep = r.Cpu, phaseMilliseconds = r.Phases, r.LastLoss }),
                }, Indented));
                Console.WriteLine($"Wrote {json}");
            }
        }
        finally
        {
            foreach (var w in workers)
            {
                w.Dispose();
            }
        }

        return 0;
    }

    private static void Print(string name, List<Result> results, int steps, int rounds)
    {
        var timed = results.Where(r => r.Side != "phases").ToList();
        double bestPython = timed.Where(r => r.Setting.StartsWith("pytorch", StringComparison.Ordinal)).Select(r => Median(r.Ms)).DefaultIfEmpty(double.NaN).Min();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {steps} steps per block, {rounds} rounds; ms per step: median [quartiles], process CPU ms per step, ratio to PyTorch's best median"));
        foreach (var r in results)
        {
            double median = Median(r.Ms);
            string phases = r.Phases is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"  forward {r.Phases[0]:F2} backward {r.Phases[1]:F2} optimiser {r.Phases[2]:F2}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Setting,-34} {median,8:F2} [{Quantile(r.Ms, 0.25):F2}–{Quantile(r.Ms, 0.75):F2}]  CPU {Median(r.Cpu),8:F2}  ×{median / bestPython:F3}  J {r.LastLoss:F2}{phases}"));
        }
    }

    private static string? FindAbove(string relative)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, relative);
            if (File.Exists(candidate) || Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";

    private sealed record Result(string Configuration, string Setting, string Side, double[] Ms, double[] Cpu, double[]? Phases, double LastLoss);

    /// <summary>One worker process speaking the JSON-lines protocol of <see cref="StepWorker"/> and step.py.</summary>
    private sealed class Worker : IDisposable
    {
        private readonly Process process;

        private Worker(string kind, string label, ProcessStartInfo start, string[] sides)
        {
            Kind = kind;
            Label = label;
            Sides = sides;
            start.RedirectStandardInput = true;
            start.RedirectStandardOutput = true;
            start.UseShellExecute = false;
            process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
            string ready = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"Worker {kind} {label} exited before it was ready.");
            Console.WriteLine($"{kind} {label}: {ready}");
        }

        public string Kind { get; }

        public string Label { get; }

        public string[] Sides { get; }

        public static Worker DotNet(string label, int threads, (string Name, string Value)[] environment, bool retain)
        {
            string self = Environment.ProcessPath!;
            var start = new ProcessStartInfo(self);
            if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            {
                start.ArgumentList.Add(typeof(PyTorchComparison).Assembly.Location);
            }

            foreach (string a in new[] { "step-worker", "--threads", threads.ToString(CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(a);
            }

            if (retain)
            {
                start.ArgumentList.Add("--retain-memory");
            }

            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }

            return new Worker("torchsharp", label, start, ["library", "raw"]);
        }

        public static Worker Python(string label, string python, string script, string data, int threads, int blasThreads, bool retain)
        {
            var start = new ProcessStartInfo(python);
            if (retain)
            {
                start.Environment["GLIBC_TUNABLES"] = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864";
            }

            foreach (string a in new[] { script, "serve", data, threads.ToString(CultureInfo.InvariantCulture), blasThreads.ToString(CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(a);
            }

            return new Worker("pytorch", label, start, ["pytorch"]);
        }

        public JsonElement Block(string side, string model, int samples, int steps)
        {
            process.StandardInput.WriteLine(JsonSerializer.Serialize(new { side, model, samples, steps }));
            process.StandardInput.Flush();
            string line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"Worker {Kind} {Label} exited (code {(process.HasExited ? process.ExitCode : -1)}).");
            return JsonDocument.Parse(line).RootElement.Clone();
        }

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.StandardInput.Close();
                if (!process.WaitForExit(30_000))
                {
                    process.Kill();
                }
            }

            process.Dispose();
        }
    }
}
