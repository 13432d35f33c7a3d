using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace FreeEnergy.Datasets.Internal;

/// <summary>Turns pixel bytes into float32 values in [0, 1] by dividing by 255 (as torchvision's ToTensor does).</summary>
internal static class PixelConversion
{
    /// <summary>A new, uninitialised float32 CPU tensor of <paramref name="shape"/> in the current dispose scope.</summary>
    public static Tensor Allocate(params long[] shape) => empty(shape, ScalarType.Float32);

    /// <summary>The elements of a contiguous float32 CPU tensor, writable in place.</summary>
    public static Span<float> Elements(Tensor tensor) => MemoryMarshal.Cast<byte, float>(tensor.bytes);

    /// <summary>
    /// Writes <c>source[i] / 255f</c> to <c>destination[i]</c>. The vectorised path divides in float32 like the
    /// scalar one (IEEE division is correctly rounded either way), so both give bit-identical values.
    /// </summary>
    public static void Convert(ReadOnlySpan<byte> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("The destination is shorter than the source.", nameof(destination));
        }

        int i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var divisor = Vector128.Create(255f);
            ref byte from = ref MemoryMarshal.GetReference(source);
            ref float to = ref MemoryMarshal.GetReference(destination);
            for (; i <= source.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
            {
                var (low, high) = Vector128.Widen(Vector128.LoadUnsafe(ref from, (nuint)i));
                var (a, b) = Vector128.Widen(low);
                var (c, d) = Vector128.Widen(high);
                (Vector128.ConvertToSingle(a.AsInt32()) / divisor).StoreUnsafe(ref to, (nuint)i);
                (Vector128.ConvertToSingle(b.AsInt32()) / divisor).StoreUnsafe(ref to, (nuint)(i + 4));
                (Vector128.ConvertToSingle(c.AsInt32()) / divisor).StoreUnsafe(ref to, (nuint)(i + 8));
                (Vector128.ConvertToSingle(d.AsInt32()) / divisor).StoreUnsafe(ref to, (nuint)(i + 12));
            }
        }

        for (; i < source.Length; i++)
        {
            destination[i] = source[i] / 255f;
        }
    }
}
