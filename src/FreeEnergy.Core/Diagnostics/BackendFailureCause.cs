namespace FreeEnergy.Core.Diagnostics;

/// <summary>Why TorchSharp's native backend failed to load, as far as it can be diagnosed.</summary>
public enum BackendFailureCause
{
    /// <summary>The cause could not be narrowed down; the inner exception has TorchSharp's own report.</summary>
    Unknown = 0,

    /// <summary>No libtorch package is referenced by the application (for example TorchSharp-cpu).</summary>
    MissingBackendPackage = 1,

    /// <summary>
    /// TorchSharp's shim needs a newer C++ runtime (libstdc++ symbol version) than the host has, as on
    /// Debian 12 or Ubuntu 22.04 with TorchSharp 0.107.0.
    /// </summary>
    HostCppRuntimeTooOld = 2,

    /// <summary>CUDA was requested but no CUDA backend or device is available.</summary>
    CudaUnavailable = 3,
}
