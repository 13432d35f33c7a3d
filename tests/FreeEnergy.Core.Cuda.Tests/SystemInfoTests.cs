using System.Text.RegularExpressions;
using FreeEnergy.SystemInfo;

namespace FreeEnergy.Core.Cuda.Tests;

/// <summary>Smoke tests of samples/FreeEnergy.SystemInfo, run in-process through its entry point.</summary>
public sealed partial class SystemInfoTests
{
    private static (int ExitCode, string[] Lines) Run(SystemInfoOptions options)
    {
        using var output = new StringWriter();
        int exitCode = SystemReport.Run(output, options);
        return (exitCode, output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    private static string Value(string[] lines, string name)
    {
        string? line = lines.SingleOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal));
        Assert.True(line is not null, $"No '{name}:' line in:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}");
        return line[(name.Length + 1)..].Trim();
    }

    [Fact]
    public void TheReportHasEveryLineABugReportNeeds()
    {
        var (exitCode, lines) = Run(new SystemInfoOptions(Steps: 3));
        Assert.Equal(0, exitCode);
        Assert.StartsWith("FreeEnergy system information", lines[0], StringComparison.Ordinal);
        Assert.Equal(CudaErrors.TorchSharpVersion, Value(lines, "TorchSharp"));
        Assert.Equal(TorchSharp.torch.__version__, Value(lines, "libtorch"));
        Assert.StartsWith(CudaDevices.HasCudaBackend ? "cuda" : "cpu", Value(lines, "Backend"), StringComparison.Ordinal);
        Assert.StartsWith(CudaDevices.IsAvailable ? "yes" : "no (", Value(lines, "CUDA available"), StringComparison.Ordinal);
        Assert.StartsWith(CudaDevices.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), Value(lines, "CUDA devices"), StringComparison.Ordinal);
        Assert.Matches(ThreadsLine(), Value(lines, "Threads"));
        Assert.Contains(System.Runtime.InteropServices.RuntimeInformation.OSDescription, Value(lines, "OS"), StringComparison.Ordinal);
        Assert.StartsWith(".NET 10", Value(lines, ".NET runtime"), StringComparison.Ordinal);
        Assert.Matches(@"^matmul (on|off), cudnn (on|off)$", Value(lines, "TF32"));
        Assert.Equal(CudaDevices.PreferCuda().ToString(), Value(lines, "Device"));
        Assert.Contains("MLP 784-512-256-16", Value(lines, "Model"), StringComparison.Ordinal);
        Assert.Matches(StepLine(), Value(lines, "Training step"));
        Assert.Contains("over 3 runs on", Value(lines, "Forward (no grad)"), StringComparison.Ordinal);
    }

    [Fact]
    public void TheCpuCanBeForced()
    {
        var (exitCode, lines) = Run(new SystemInfoOptions(Device: "cpu", Steps: 1));
        Assert.Equal(0, exitCode);
        Assert.Equal("cpu", Value(lines, "Device"));
        Assert.EndsWith("over 1 Adam steps on cpu", Value(lines, "Training step"), StringComparison.Ordinal);
    }

    [NoCudaBackendFact]
    public void AskingForCudaWithoutABundleExplainsTheFixAndFails()
    {
        var (exitCode, lines) = Run(new SystemInfoOptions(Device: "cuda", Steps: 1));
        Assert.Equal(1, exitCode);
        Assert.Equal("FAILED (CudaUnavailable)", Value(lines, "Device"));
        Assert.Contains(lines, l => l.Contains(CudaDevices.BundlePackage ?? "not supported", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new string[0], "auto", 20, null)]
    [InlineData(new[] { "--device", "cpu", "--steps", "5", "--threads", "1", "--cuda-index", "1" }, "cpu", 5, 1)]
    public void TheCommandLineIsParsed(string[] args, string device, int steps, int? threads)
    {
        var options = SystemInfoOptions.Parse(args, out string? error);
        Assert.Null(error);
        Assert.NotNull(options);
        Assert.Equal(device, options.Device);
        Assert.Equal(steps, options.Steps);
        Assert.Equal(threads, options.Threads);
    }

    [Theory]
    [InlineData("--device", "tpu")]
    [InlineData("--steps", "0")]
    [InlineData("--steps")]
    [InlineData("--colour", "red")]
    public void BadArgumentsGiveTheUsage(params string[] args)
    {
        Assert.Null(SystemInfoOptions.Parse(args, out string? error));
        Assert.Contains(SystemInfoOptions.Usage, error, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^intra-op \d+, inter-op \d+$")]
    private static partial Regex ThreadsLine();

    [GeneratedRegex(@"^median \d+\.\d\d ms \(min \d+\.\d\d, max \d+\.\d\d\) over 3 Adam steps on \S+$")]
    private static partial Regex StepLine();
}
