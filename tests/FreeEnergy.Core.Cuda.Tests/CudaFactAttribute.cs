namespace FreeEnergy.Core.Cuda.Tests;

/// <summary>A fact that needs a usable CUDA device; skipped, with the reason, when there is none.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!CudaDevices.IsAvailable)
        {
            Skip = $"Needs a CUDA device; CUDA here: {CudaDevices.Check()} (see docs/gpu.md).";
        }
    }
}
