using TorchSharp;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Internal;

/// <summary>
/// Tensor-and-number arithmetic that keeps the number's native <see cref="Scalar"/> alive until libtorch has read it.
/// </summary>
/// <remarks>
/// TorchSharp turns a .NET number into a <see cref="Scalar"/> (a native c10::Scalar freed by a finalizer) and passes
/// only its handle to libtorch (<c>tensor * 0.5</c> does, as does <c>tensor.mul_(0.5)</c>). Nothing then keeps the
/// Scalar reachable during the native call, so a garbage collection started by another thread can finalize it while
/// libtorch reads it: a use after free, seen as a rare "Unknown scalar type" when two workers train at once. Each
/// helper holds its Scalar until the call returns and frees it at once (which also spares the finalizer thread).
/// The library's code uses these instead of the number overloads; <c>ScalarLifetimeTests</c> checks its IL for any
/// call that would convert a number implicitly.
/// </remarks>
internal static class ScalarArithmetic
{
    // Held for the life of the process (a native Scalar is read-only, so threads share them): TorchSharp's own
    // defaults (alpha = 1 of add, 2 of square) are implicit conversions too.
    private static readonly Scalar One = 1.ToScalar();
    private static readonly Scalar Two = 2.ToScalar();

    /// <summary><paramref name="tensor"/> + <paramref name="other"/>, a new tensor (what <c>tensor + other</c> computes).</summary>
    public static Tensor Plus(this Tensor tensor, Tensor other) => tensor.add(other, One);

    /// <summary>Adds <paramref name="other"/> to <paramref name="tensor"/> in place (what <c>tensor.add_(other)</c> does).</summary>
    public static Tensor PlusInPlace(this Tensor tensor, Tensor other) => tensor.add_(other, One);

    /// <summary>Adds the held <paramref name="value"/> to <paramref name="tensor"/> in place.</summary>
    public static Tensor PlusInPlace(this Tensor tensor, Scalar value) => tensor.add_(value, One);

    /// <summary>The element-wise square, a new tensor (what <c>tensor.square()</c> computes).</summary>
    public static Tensor Squared(this Tensor tensor) => tensor.pow(Two);

    /// <summary><paramref name="tensor"/> · <paramref name="value"/>, a new tensor.</summary>
    public static Tensor Times(this Tensor tensor, double value) => Held(value, s => tensor.mul(s));

    /// <summary><paramref name="tensor"/> / <paramref name="value"/>, a new tensor.</summary>
    public static Tensor Over(this Tensor tensor, double value) => Held(value, s => tensor.div(s));

    /// <summary>Multiplies <paramref name="tensor"/> by <paramref name="value"/> in place.</summary>
    public static Tensor TimesInPlace(this Tensor tensor, double value) => Held(value, s => tensor.mul_(s));

    /// <summary>Divides <paramref name="tensor"/> by <paramref name="value"/> in place.</summary>
    public static Tensor OverInPlace(this Tensor tensor, double value) => Held(value, s => tensor.div_(s));

    /// <summary>Adds <paramref name="value"/> to <paramref name="tensor"/> in place.</summary>
    public static Tensor PlusInPlace(this Tensor tensor, double value) => Held(value, s => tensor.add_(s, One));

    /// <summary>Subtracts <paramref name="value"/> from <paramref name="tensor"/> in place.</summary>
    public static Tensor MinusInPlace(this Tensor tensor, double value) => Held(value, s => tensor.sub_(s));

    /// <summary>Runs <paramref name="operation"/> with <paramref name="value"/> as a Scalar held until it returns, then frees it.</summary>
    private static Tensor Held(double value, Func<Scalar, Tensor> operation)
    {
        using var scalar = value.ToScalar();
        return operation(scalar);
    }
}
