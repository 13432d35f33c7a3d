using System.Text;
using TorchSharp;

namespace FreeEnergy.Core.Internal;

/// <summary>What can be learnt about the host and the application folder when TorchSharp fails to load.</summary>
/// <param name="IsLinux">Whether the process runs on Linux.</param>
/// <param name="ShimPath">The TorchSharp native shim found next to the application, if any.</param>
/// <param name="LibTorchFound">Whether a libtorch library (CPU or CUDA) is present next to the application.</param>
/// <param name="MissingHostVersions">
/// Symbol versions the shim needs (not weak) from the host's C++ runtime that the host's runtime lacks.
/// </param>
internal sealed record BackendProbe(bool IsLinux, string? ShimPath, bool LibTorchFound, IReadOnlyList<string> MissingHostVersions)
{
    private static readonly string[] HostLibStdCxx =
    [
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    ];

    /// <summary>Probes the running application's folder and the host.</summary>
    public static BackendProbe Detect()
    {
        string baseDirectory = Path.GetDirectoryName(typeof(torch).Assembly.Location) is { Length: > 0 } dir ? dir : AppContext.BaseDirectory;
        return Detect(baseDirectory, HostLibStdCxx.FirstOrDefault(File.Exists));
    }

    /// <summary>Probes <paramref name="applicationDirectory"/> against the given host C++ runtime.</summary>
    public static BackendProbe Detect(string applicationDirectory, string? hostLibStdCxx)
    {
        bool isLinux = OperatingSystem.IsLinux();
        // A framework-dependent build keeps native libraries under runtimes/<rid>/native; a build or publish for
        // one runtime identifier (dotnet publish -r linux-x64) puts them in the application folder itself.
        string rid = isLinux ? "linux-x64" : OperatingSystem.IsWindows() ? "win-x64" : "osx-arm64";
        string[] folders = [Path.Combine(applicationDirectory, "runtimes", rid, "native"), applicationDirectory];
        string? shim = folders
            .SelectMany(folder => new[] { "libLibTorchSharp.so", "LibTorchSharp.dll", "libLibTorchSharp.dylib" }.Select(name => Path.Combine(folder, name)))
            .FirstOrDefault(File.Exists);
        bool libTorch = folders
            .SelectMany(folder => new[] { "libtorch_cpu.so", "torch_cpu.dll", "libtorch_cpu.dylib", "libtorch_cuda.so", "torch_cuda.dll" }.Select(name => Path.Combine(folder, name)))
            .Any(File.Exists);
        var missing = shim is not null && shim.EndsWith(".so", StringComparison.Ordinal)
            ? MissingVersions(shim, hostLibStdCxx)
            : [];
        return new BackendProbe(isLinux, shim, libTorch, missing);
    }

    /// <summary>The non-weak GLIBCXX/CXXABI versions <paramref name="library"/> needs that <paramref name="hostLibStdCxx"/> does not define.</summary>
    public static IReadOnlyList<string> MissingVersions(string library, string? hostLibStdCxx)
    {
        if (hostLibStdCxx is null || !File.Exists(hostLibStdCxx))
        {
            return [];
        }

        string host = Encoding.ASCII.GetString(File.ReadAllBytes(hostLibStdCxx));
        return ElfVersionNeeds.Read(library)
            .Where(n => !n.Weak && n.Library.StartsWith("libstdc++", StringComparison.Ordinal))
            .Select(n => n.Version)
            .Where(v => !host.Contains(v + "\0", StringComparison.Ordinal))
            .Distinct()
            .ToList();
    }
}
