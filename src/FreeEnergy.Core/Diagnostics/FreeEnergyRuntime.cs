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

    /// <summary>
    /// Linux (glibc) only, opt-in: makes the C allocator keep the tensor memory a training step frees for the next
    /// step instead of returning it to the OS and faulting it in again. By default glibc gives each block of more than
    /// about 1 MB its own mapping, or trims the heap once a few MB are free, so every step of the default MLP paid about
    /// 1,700 page faults (6.7 MB of fresh pages, 7 to 17 % of its CPU time; docs/performance.md, "Per-step speed against
    /// PyTorch"). This sets glibc's mmap threshold to its 32 MiB maximum and its trim threshold to
    /// <paramref name="retainedMegabytes"/>, for the whole process and for good (glibc cannot go back to its adaptive
    /// thresholds). Results do not change (only where memory comes from); the resident size may stay up to
    /// <paramref name="retainedMegabytes"/> higher. Call it once, at start-up. The same as starting the process with
    /// <c>GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=...</c>.
    /// </summary>
    /// <param name="retainedMegabytes">Free memory kept at the top of the heap before glibc trims it, 1 to 2047 MB.</param>
    /// <returns>True if set; false where the C library is not glibc (Windows, macOS, musl): nothing changed.</returns>
    public static bool TryRetainFreedNativeMemory(int retainedMegabytes = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retainedMegabytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(retainedMegabytes, 2047);
        return NativeAllocator.Retain(retainedMegabytes * 1024 * 1024);
    }

    /// <summary>The number of tensors alive on the calling thread, as counted by TorchSharp's dispose scopes (for leak checks).</summary>
    public static long LiveTensorCount => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    internal static bool IsLoadFailure(Exception ex) =>
        ex is TypeInitializationException or NotSupportedException or DllNotFoundException or EntryPointNotFoundException or BadImageFormatException;
}
