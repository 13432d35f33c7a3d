namespace FreeEnergy.Core.Cuda;

/// <summary>
/// The process's <see cref="ICudaRuntime"/>. <see cref="Override"/> is the test seam: it lets a test pretend
/// CUDA is absent or present (tests run one at a time, see tests/xunit.runner.json).
/// </summary>
internal static class CudaRuntime
{
    private static readonly ICudaRuntime Torch = new TorchCudaRuntime();
    private static ICudaRuntime? substitute;

    /// <summary>The runtime the CUDA checks consult.</summary>
    public static ICudaRuntime Current => substitute ?? Torch;

    /// <summary>Makes <paramref name="runtime"/> current until the returned object is disposed.</summary>
    public static IDisposable Override(ICudaRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var previous = substitute;
        substitute = runtime;
        return new Restore(previous);
    }

    private sealed class Restore(ICudaRuntime? previous) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (!done)
            {
                substitute = previous;
                done = true;
            }
        }
    }
}
