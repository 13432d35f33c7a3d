using FreeEnergy.Benchmarks;

// One entry per command: add new benchmarks here.
var commands = new (string Name, string Summary, Func<string[], int> Run)[]
{
    ("datasets", "time to load Fashion-MNIST: the shipped test split and the full set from a directory", DatasetLoading.Run),
    ("surface", "a 12-point sweep on the shipped split: warm starts vs independent training", SurfaceContinuation.Run),
    ("relaxation", "issue 13: relaxation remedies (weight averaging, cooldown, polish, variance-head rate) vs the classic trainer at 4 points of the main job's surface", RelaxationBenchmark.Run),
    ("process", "iso-classification over λ 4 → 0.5 and transfer 0–4 → 5–9 at constant C vs fine-tuning vs the authors' controller", ProcessBenchmarks.Run),
    ("epoch", "per-epoch training time of the default MLP at K = 1 and K = 8 on 10,000 images", EpochTime.Run),
    ("overhead", "library training against a raw TorchSharp loop (MLP K = 1, 8, conv), live tensors, working set; --json FILE", OverheadBenchmark.Run),
    ("dispose-loop", "issue 17: build / train one epoch / Dispose ×30 without GC.Collect: RSS and live tensors per cycle", DisposeLoop.Run),
    ("pytorch", "issue 14: per-step time of the library, plain TorchSharp and PyTorch (benchmarks/pytorch/step.py) at 1 and 2 threads, interleaved", PyTorchComparison.Run),
    ("step-worker", "the .NET worker process of 'pytorch' (JSON requests on stdin)", StepWorker.Run),
    ("scalar-lifetime", "TorchSharp's implicit Scalars under collections on two threads: failures with them, and with the Scalar held", ScalarLifetime.Run),
    ("micro", "BenchmarkDotNet micro-benchmarks: a short training epoch and an evaluation pass, library vs raw loop", MicroBenchmarks.Run),
};

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine("Usage: FreeEnergy.Benchmarks <command> [options]   (<command> --help for its options)");
    Console.WriteLine();
    foreach (var (name, summary, _) in commands)
    {
        Console.WriteLine($"  {name,-12} {summary}");
    }

    return args.Length == 0 ? 1 : 0;
}

// "--json FILE" on its own is the overhead benchmark writing its JSON report.
if (args[0] == "--json")
{
    return OverheadBenchmark.Run(args);
}

var command = commands.FirstOrDefault(c => string.Equals(c.Name, args[0], StringComparison.OrdinalIgnoreCase));
if (command.Run is null)
{
    Console.Error.WriteLine($"Unknown command '{args[0]}'. Known: {string.Join(", ", commands.Select(c => c.Name))}.");
    return 1;
}

return command.Run(args[1..]);
