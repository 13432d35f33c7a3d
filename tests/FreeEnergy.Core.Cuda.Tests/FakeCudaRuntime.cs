namespace FreeEnergy.Core.Cuda.Tests;

/// <summary>A pretend CUDA runtime for <see cref="CudaRuntime.Override"/>.</summary>
internal sealed record FakeCudaRuntime(bool HasCudaBackend, bool IsAvailable, int DeviceCount, bool IsCudnnAvailable = true) : ICudaRuntime
{
    /// <summary>The application references no CUDA bundle (a CPU-only build).</summary>
    public static FakeCudaRuntime NoBundle { get; } = new(false, false, 0, false);

    /// <summary>A CUDA bundle is present but no GPU is usable.</summary>
    public static FakeCudaRuntime NoGpu { get; } = new(true, false, 0, false);

    /// <summary>A machine with <paramref name="count"/> GPUs.</summary>
    public static FakeCudaRuntime Gpus(int count) => new(true, true, count);
}
