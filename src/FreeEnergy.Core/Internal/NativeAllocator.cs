using System.Runtime.InteropServices;

namespace FreeEnergy.Core.Internal;

/// <summary>glibc's <c>mallopt</c>, which libtorch's CPU allocator (posix_memalign / free) obeys.</summary>
internal static partial class NativeAllocator
{
    /// <summary>M_TRIM_THRESHOLD: free memory at the top of the heap above this many bytes is returned to the OS.</summary>
    private const int TrimThreshold = -1;

    /// <summary>M_MMAP_THRESHOLD: blocks of at least this many bytes get their own mmap (and munmap when freed).</summary>
    private const int MmapThreshold = -3;

    /// <summary>glibc's largest mmap threshold on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX): 32 MiB.</summary>
    private const int LargestMmapThreshold = 32 * 1024 * 1024;

    /// <summary>Sets both thresholds; false where the C library is not glibc or refuses a value.</summary>
    public static bool Retain(int trimBytes)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return Mallopt(MmapThreshold, LargestMmapThreshold) == 1 && Mallopt(TrimThreshold, trimBytes) == 1;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);
}
