namespace FreeEnergy.Core.Cuda.Tests;

/// <summary>A fact about an application without a CUDA bundle (the default build); skipped where one is present.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class NoCudaBackendFactAttribute : FactAttribute
{
    public NoCudaBackendFactAttribute()
    {
        if (CudaDevices.HasCudaBackend)
        {
            Skip = "This test process carries a CUDA build of libtorch; the no-bundle error cannot occur here.";
        }
    }
}
