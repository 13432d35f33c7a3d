using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using FreeEnergy.Core.Diagnostics;

namespace FreeEnergy.Benchmarks;

/// <summary>
/// The 'micro' command: BenchmarkDotNet suites (<see cref="TrainingBenchmarks"/>, <see cref="EvaluationBenchmarks"/>)
/// run in this process (no generated project to build), one torch thread, a short job unless the arguments
/// choose another (any BenchmarkDotNet option can follow the command, e.g. --filter *Evaluation*). Reports go to
/// FreeEnergy.Benchmarks.Artifacts in the temporary directory, not into the working tree.
/// </summary>
internal static class MicroBenchmarks
{
    public static int Run(string[] args)
    {
        FreeEnergyRuntime.SetThreadCount(1);
        var config = DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortRun-InProcess"))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator)
            .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "FreeEnergy.Benchmarks.Artifacts"));
        var summaries = BenchmarkSwitcher.FromTypes([typeof(TrainingBenchmarks), typeof(EvaluationBenchmarks)])
            .Run(args.Length == 0 ? ["--filter", "*"] : args, config);
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}
