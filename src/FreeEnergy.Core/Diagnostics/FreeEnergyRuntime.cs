using FreeEnergy.Core.Internal;
using TorchSharp;

namespace FreeEnergy.Core.Diagnostics;

/// <summary>
/// Process-wide runtime checks and settings. The library never changes torch's thread count on its own;
/// <see cref="SetThreadCount"/> is the one explicit way to do it.
/// </summary>
public static class FreeEnergyRuntime
{
    private static readonly Lock Gate = new();
    private static bool backendReady;

    /// <summary>
    /// Loads TorchSharp's native backend if it is not loaded yet. Called by every builder before it
    /// allocates anything.
    /// </summary>
    /// <exception cref="FreeEnergyBackendException">The native libraries cannot be loaded; the message names the cause and the fix.</exception>
    public static void EnsureBackend()
    {
        if (backendReady)
        {
            return;
        }

        lock (Gate)
        {
            if (backendReady)
            {
                return;
            }

            try
            {
                using var probe = torch.zeros(1);
            }
            catch (Exception ex) when (IsLoadFailure(ex))
            {
                throw BackendDiagnosis.Explain(ex, BackendProbe.Detect());
            }

            backendReady = true;
        }
    }

    /// <summary>
    /// Sets the number of threads torch uses inside one operation. Call it once, at start-up, before any
    /// training: changing it after work has run was measured to slow small models down by 3 to 25 times.
    /// One thread makes CPU results bit-reproducible.
    /// </summary>
    /// <param name="threads">The number of intra-op threads, at least 1.</param>
    public static void SetThreadCount(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        EnsureBackend();
        torch.set_num_threads(threads);
    }

    /// <summary>The number of threads torch uses inside one operation.</summary>
    public static int ThreadCount
    {
        get
        {
            EnsureBackend();
            return torch.get_num_threads();
        }
    }

    /// <summary>The number of tensors alive on the calling thread, as counted by TorchSharp's dispose scopes (for leak checks).</summary>
    public static long LiveTensorCount => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    internal static bool IsLoadFailure(Exception ex) =>
        ex is TypeInitializationException or NotSupportedException or DllNotFoundException or EntryPointNotFoundException or BadImageFormatException;
}
