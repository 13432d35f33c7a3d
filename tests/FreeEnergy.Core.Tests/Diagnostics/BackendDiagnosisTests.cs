using System.Runtime.InteropServices;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Internal;

namespace FreeEnergy.Core.Tests.Diagnostics;

public class BackendDiagnosisTests
{
    private static readonly Exception TorchSharpError = new TypeInitializationException(
        "TorchSharp.torch",
        new NotSupportedException("This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64, Version=2.10.0.0."));

    [Fact]
    public void AnOldHostCppRuntimeIsNamedWithTheFixInsteadOfTorchSharpsMisleadingMessage()
    {
        var probe = new BackendProbe(true, "/app/runtimes/linux-x64/native/libLibTorchSharp.so", true, ["GLIBCXX_3.4.32"]);
        var ex = BackendDiagnosis.Explain(TorchSharpError, probe);
        Assert.Equal(BackendFailureCause.HostCppRuntimeTooOld, ex.Cause);
        Assert.Contains("GLIBCXX_3.4.32", ex.Message, StringComparison.Ordinal);
        Assert.Contains("FreeEnergyPatchLibTorchSharp", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not the cause", ex.Message, StringComparison.Ordinal);
        Assert.Same(TorchSharpError, ex.InnerException);
    }

    [Fact]
    public void AMissingLibTorchNamesTheBackendPackage()
    {
        var ex = BackendDiagnosis.Explain(TorchSharpError, new BackendProbe(true, "/app/libLibTorchSharp.so", false, []));
        Assert.Equal(BackendFailureCause.MissingBackendPackage, ex.Cause);
        Assert.Contains("dotnet add package TorchSharp-cpu", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownCauseStillPointsAtLddAndTheInnerReport()
    {
        var ex = BackendDiagnosis.Explain(TorchSharpError, new BackendProbe(true, "/app/libLibTorchSharp.so", true, []));
        Assert.Equal(BackendFailureCause.Unknown, ex.Cause);
        Assert.Contains("ldd /app/libLibTorchSharp.so", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRealUnpatchedShimFailsToLoadHereAndIsDiagnosedAsAnOldCppRuntime()
    {
        string? host = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6" }.FirstOrDefault(File.Exists);
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string original = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!OperatingSystem.IsLinux() || host is null || !File.Exists(original))
        {
            return; // Only meaningful on Linux with the package cache present.
        }

        var needs = ElfVersionNeeds.Read(original);
        Assert.Contains(needs, n => n.Version == "GLIBCXX_3.4.32" && n.Library == "libstdc++.so.6" && !n.Weak);
        var missing = BackendProbe.MissingVersions(original, host);
        if (missing.Count == 0)
        {
            return; // A host with GCC 13's runtime: nothing to diagnose.
        }

        Assert.Equal(["GLIBCXX_3.4.32"], missing);
        Assert.False(NativeLibrary.TryLoad(original, out _), "the unpatched shim must not load on this host");

        string patched = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.Contains(ElfVersionNeeds.Read(patched), n => n.Version == "GLIBCXX_3.4.32" && n.Weak);
        Assert.Empty(BackendProbe.MissingVersions(patched, host));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheProbeFindsTheNativeLibrariesInEitherOutputLayout(bool runtimeSpecific)
    {
        // A portable build keeps them under runtimes/<rid>/native; output for one runtime identifier
        // (dotnet publish -r linux-x64) puts them in the application folder itself.
        string app = Path.Combine(Path.GetTempPath(), "fe-probe-" + Guid.NewGuid().ToString("N"));
        string rid = OperatingSystem.IsLinux() ? "linux-x64" : OperatingSystem.IsWindows() ? "win-x64" : "osx-arm64";
        string native = runtimeSpecific ? app : Path.Combine(app, "runtimes", rid, "native");
        string shimName = OperatingSystem.IsLinux() ? "libLibTorchSharp.so" : OperatingSystem.IsWindows() ? "LibTorchSharp.dll" : "libLibTorchSharp.dylib";
        string torchName = OperatingSystem.IsLinux() ? "libtorch_cpu.so" : OperatingSystem.IsWindows() ? "torch_cpu.dll" : "libtorch_cpu.dylib";
        try
        {
            Directory.CreateDirectory(native);
            File.WriteAllBytes(Path.Combine(native, shimName), [1, 2, 3]);
            var withoutTorch = BackendProbe.Detect(app, hostLibStdCxx: null);
            Assert.Equal(Path.Combine(native, shimName), withoutTorch.ShimPath);
            Assert.False(withoutTorch.LibTorchFound);

            File.WriteAllBytes(Path.Combine(native, torchName), [1, 2, 3]);
            Assert.True(BackendProbe.Detect(app, hostLibStdCxx: null).LibTorchFound);
        }
        finally
        {
            Directory.Delete(app, recursive: true);
        }
    }

    [Fact]
    public void TheRuntimeReportsThreadsAndLiveTensors()
    {
        FreeEnergyRuntime.EnsureBackend();
        Assert.Equal(1, FreeEnergyRuntime.ThreadCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => FreeEnergyRuntime.SetThreadCount(0));
        Assert.True(FreeEnergyRuntime.IsLoadFailure(TorchSharpError));
        Assert.False(FreeEnergyRuntime.IsLoadFailure(new InvalidOperationException()));
        Assert.Empty(ElfVersionNeeds.Read(new byte[] { 1, 2, 3 }));
    }
}
