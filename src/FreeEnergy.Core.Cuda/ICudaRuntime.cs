namespace FreeEnergy.Core.Cuda;

/// <summary>
/// What the CUDA checks ask of the process. The real implementation asks TorchSharp; tests substitute a fake
/// (see <see cref="CudaRuntime.Override"/>) to exercise every branch without a GPU.
/// </summary>
internal interface ICudaRuntime
{
    /// <summary>Whether the CUDA build of libtorch (torch_cuda) can be loaded by this application.</summary>
    bool HasCudaBackend { get; }

    /// <summary>torch.cuda.is_available(): a CUDA backend is loaded and at least one device works.</summary>
    bool IsAvailable { get; }

    /// <summary>torch.cuda.device_count() (0 when CUDA is not available).</summary>
    int DeviceCount { get; }

    /// <summary>torch.cuda.is_cudnn_available().</summary>
    bool IsCudnnAvailable { get; }
}
