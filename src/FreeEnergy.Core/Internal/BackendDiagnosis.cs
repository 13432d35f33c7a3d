using FreeEnergy.Core.Diagnostics;

namespace FreeEnergy.Core.Internal;

/// <summary>Turns TorchSharp's native load failure into one exception that names the cause and the fix.</summary>
internal static class BackendDiagnosis
{
    /// <summary>Explains <paramref name="error"/> using what <paramref name="probe"/> found.</summary>
    public static FreeEnergyBackendException Explain(Exception error, BackendProbe probe)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(probe);
        if (probe.MissingHostVersions.Count > 0)
        {
            string versions = string.Join(", ", probe.MissingHostVersions);
            return new FreeEnergyBackendException(
                BackendFailureCause.HostCppRuntimeTooOld,
                $"TorchSharp's native shim '{probe.ShimPath}' needs the C++ runtime symbol version(s) {versions}, which this host's libstdc++ does not provide "
                + "(TorchSharp 0.107.0 is built with GCC 13; Debian 12 and Ubuntu 22.04 ship GCC 12's runtime). TorchSharp's own message blames a missing package, which is not the cause. "
                + "Fix: build the application with the FreeEnergy.Core package (its build step marks that one unused requirement weak in the copy in your output folder; "
                + "make sure the MSBuild property FreeEnergyPatchLibTorchSharp is not set to false and rebuild), or run on a distribution with GCC 13 or newer. "
                + "See docs/troubleshooting.md. Check with: ldd " + probe.ShimPath,
                error);
        }

        if (!probe.LibTorchFound)
        {
            return new FreeEnergyBackendException(
                BackendFailureCause.MissingBackendPackage,
                "No libtorch native library was found next to the application. FreeEnergy.Core depends only on the backend-neutral TorchSharp package; "
                + "the application must add a backend: 'dotnet add package TorchSharp-cpu --version 0.107.0' for the CPU, or FreeEnergy.Core.Cuda built with a CUDA bundle "
                + "(TorchSharp-cuda-linux or TorchSharp-cuda-windows 0.107.0) for a GPU. See docs/platforms.md.",
                error);
        }

        return new FreeEnergyBackendException(
            BackendFailureCause.Unknown,
            "TorchSharp's native libraries are present but failed to load. "
            + (probe.ShimPath is null ? string.Empty : "Run 'ldd " + probe.ShimPath + "' (Linux) to see which dependency is missing. ")
            + "Make sure only one backend package is referenced (TorchSharp-cpu or one CUDA bundle) and that it matches TorchSharp 0.107.0 (libtorch 2.10.0). "
            + "The inner exception has TorchSharp's own report. See docs/troubleshooting.md.",
            error);
    }
}
