using System.Globalization;
using System.Reflection;
using FreeEnergy.Core.Diagnostics;
using TorchSharp;

namespace FreeEnergy.Core.Cuda;

/// <summary>The wording of every CUDA problem, shared by exceptions and log messages.</summary>
internal static class CudaErrors
{
    /// <summary>The TorchSharp version in use (for example 0.107.0): a CUDA bundle must have the same version.</summary>
    public static string TorchSharpVersion { get; } = ReadTorchSharpVersion();

    /// <summary>The CUDA bundle package for the running OS, or null where TorchSharp has none (macOS).</summary>
    public static string? BundlePackage { get; } =
        OperatingSystem.IsLinux() ? "TorchSharp-cuda-linux" : OperatingSystem.IsWindows() ? "TorchSharp-cuda-windows" : null;

    /// <summary>The value of the CudaBundle build property for the running OS, or null.</summary>
    public static string? BundleProperty { get; } =
        OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsWindows() ? "windows" : null;

    /// <summary>Why <paramref name="availability"/> prevents using cuda:<paramref name="index"/>, and the fix.</summary>
    public static string Describe(CudaAvailability availability, int index, int deviceCount) => availability switch
    {
        CudaAvailability.Available => Inv($"CUDA device cuda:{index} is available ({deviceCount} CUDA device(s))."),
        CudaAvailability.NoCudaBackend when BundlePackage is null =>
            Inv($"CUDA device cuda:{index} was requested but CUDA is not supported on this operating system ({System.Runtime.InteropServices.RuntimeInformation.OSDescription}); TorchSharp ships CUDA bundles for Linux and Windows only. Use the CPU (OnDevice(\"cpu\") or TryUseCuda())."),
        CudaAvailability.NoCudaBackend =>
            Inv($"CUDA device cuda:{index} was requested but this application has no CUDA build of libtorch (only a CPU backend is loaded). ")
            + Inv($"Add the package {BundlePackage} {TorchSharpVersion} to the application (dotnet add package {BundlePackage} --version {TorchSharpVersion}), ")
            + Inv($"or reference FreeEnergy.Core.Cuda built with -p:CudaBundle={BundleProperty}; remove TorchSharp-cpu and libtorch-cpu-* (one backend per application). ")
            + "To run without a GPU, use TryUseCuda() (falls back to the CPU) or OnDevice(\"cpu\"). See docs/gpu.md.",
        CudaAvailability.NoDevice =>
            Inv($"CUDA device cuda:{index} was requested and the CUDA build of libtorch is loaded, but torch.cuda.is_available() is false: ")
            + "no usable NVIDIA GPU is visible. Check that the machine has one, that its driver supports CUDA 12 (run nvidia-smi), and that CUDA_VISIBLE_DEVICES does not hide it. "
            + "To run without a GPU, use TryUseCuda() (falls back to the CPU) or OnDevice(\"cpu\"). See docs/gpu.md.",
        CudaAvailability.DeviceIndexOutOfRange =>
            Inv($"CUDA device cuda:{index} was requested but this machine has {deviceCount} CUDA device(s) (valid indices 0 to {deviceCount - 1}); check CUDA_VISIBLE_DEVICES."),
        _ => throw new ArgumentOutOfRangeException(nameof(availability), availability, "Unknown CUDA availability."),
    };

    /// <summary>The exception UseCuda throws for <paramref name="availability"/>.</summary>
    public static FreeEnergyBackendException Exception(CudaAvailability availability, int index, int deviceCount) =>
        new(BackendFailureCause.CudaUnavailable, Describe(availability, index, deviceCount), null);

    private static string ReadTorchSharpVersion()
    {
        var assembly = typeof(torch).Assembly;
        string? informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        string version = informational?.Split('+')[0] ?? assembly.GetName().Version?.ToString(3) ?? "0.107.0";
        return version;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
