namespace FreeEnergy.Core.Cuda;

/// <summary>Whether a CUDA device can be used, and if not, why not.</summary>
public enum CudaAvailability
{
    /// <summary>The CUDA build of libtorch is loaded and the requested device exists.</summary>
    Available = 0,

    /// <summary>
    /// The application carries no CUDA build of libtorch (typically it references TorchSharp-cpu or a
    /// libtorch-cpu package). Fix: add TorchSharp-cuda-linux / TorchSharp-cuda-windows, or use
    /// FreeEnergy.Core.Cuda built with <c>-p:CudaBundle=linux</c> / <c>windows</c>.
    /// </summary>
    NoCudaBackend = 1,

    /// <summary>
    /// The CUDA build of libtorch is loaded but no GPU is usable: there is no NVIDIA GPU, its driver is
    /// missing or too old for CUDA 12, or <c>CUDA_VISIBLE_DEVICES</c> hides every device.
    /// </summary>
    NoDevice = 2,

    /// <summary>CUDA works but the requested device index is not below the number of devices.</summary>
    DeviceIndexOutOfRange = 3,
}
