using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Internal;

/// <summary>
/// One Adam update of a contiguous float32 parameter in a single pass over its memory, with the float operations of
/// TorchSharp's Adam (<see cref="LeanAdam"/>'s tensor path) in the same order and the same rounding, so the same bits:
/// <code>
/// m ← fma(g, 1 − β₁, m·β₁)                  exp_avg.mul_(β₁).add_(g, alpha: 1 − β₁)      (ATen's add is an FMA)
/// v ← fma((1 − β₂)·g, g, v·β₂)              exp_avg_sq.mul_(β₂).addcmul_(g, g, value: 1 − β₂)   (compiled to an FMA)
/// d ← vmsSqrt(v) / √(1 − β₂ᵗ) + ε            (exp_avg_sq.sqrt() / √bc₂).add_(ε)         (ATen's sqrt is MKL's)
/// p ← p + (s·m) / d,  s = −lr / (1 − β₁ᵗ)    p.addcdiv_(m, d, value: s)
/// </code>
/// every scalar rounded to float first, as ATen does. Each line was checked against the ATen kernel it replaces,
/// element by element, on this libtorch (2.10, CPU). The tensor path reads and writes the parameter's memory about
/// 25 times per step (nine kernels, two temporaries allocated and freed); this reads p, g, m, v once and writes p, m,
/// v once. The unit tests compare it with TorchSharp's <c>optim.Adam</c> bit for bit (LeanAdamTests).
/// </summary>
internal static class FusedAdamKernel
{
    /// <summary>The Adam constants of one parameter's step, each rounded to float as ATen rounds its scalars.</summary>
    internal readonly record struct Constants(float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float RootOfBiasCorrection2, float Epsilon, float StepSize)
    {
        public static Constants Of(double beta1, double beta2, double epsilon, double learningRate, long step) =>
            new(
                (float)beta1,
                (float)(1 - beta1),
                (float)beta2,
                (float)(1 - beta2),
                (float)Math.Sqrt(1 - Math.Pow(beta2, step)),
                (float)epsilon,
                (float)(-(learningRate / (1 - Math.Pow(beta1, step)))));
    }

    /// <summary>Elements per tile: 16 KB of each of p, g, m, v.</summary>
    private const int Tile = 4096;

    /// <summary>VML_HA | VML_FTZDAZ_OFF | VML_ERRMODE_IGNORE: the mode of ATen's VML calls (ATen/cpu/vml.h).</summary>
    private const long VmlMode = 0x2 | 0x140000 | 0x100;

    /// <summary>MKL's <c>vmsSqrt</c> as exported by libtorch's CPU library, or zero where it is not (then: the tensor path).</summary>
    private static readonly nint VmsSqrt = FindVmsSqrt();

    /// <summary>
    /// Whether the four tensors are contiguous float32 CPU tensors of the same size and libtorch exports the MKL
    /// square root that its own <c>sqrt</c> uses (else: the tensor path).
    /// </summary>
    public static bool Applies(Tensor parameter, Tensor gradient, Tensor expAvg, Tensor expAvgSq)
    {
        if (VmsSqrt == 0)
        {
            return false;
        }

        foreach (var t in (ReadOnlySpan<Tensor>)[parameter, gradient, expAvg, expAvgSq])
        {
            if (t.device_type != DeviceType.CPU || t.dtype != ScalarType.Float32 || !t.is_contiguous())
            {
                return false;
            }
        }

        long n = parameter.numel();
        return gradient.numel() == n && expAvg.numel() == n && expAvgSq.numel() == n;
    }

    /// <summary>
    /// The update of tensors for which <see cref="Applies"/> holds, in place, on the calling thread whatever torch's
    /// thread count: the pass is bound by memory bandwidth, and .NET threads calling MKL (which threads with its own
    /// OpenMP pool) beside torch's busy pool were measured to slow two-thread steps down.
    /// </summary>
    public static unsafe void Update(Tensor parameter, Tensor gradient, Tensor expAvg, Tensor expAvgSq, Constants c) =>
        Update((float*)Address(parameter), (float*)Address(gradient), (float*)Address(expAvg), (float*)Address(expAvgSq), parameter.numel(), c);

    /// <summary>
    /// Updates <paramref name="n"/> elements of the parameter and its first and second moments from the gradient, a
    /// tile at a time: m and v of the tile, √v by MKL's <c>vmsSqrt</c> into a buffer (the call ATen's <c>sqrt</c> makes on
    /// float32 CPU tensors, in the same accuracy mode, whose results differ from a correctly rounded square root in
    /// about 0.7 % of elements), then the parameter; a tile stays in the first-level cache between the three.
    /// </summary>
    public static unsafe void Update(float* parameter, float* gradient, float* expAvg, float* expAvgSq, long n, in Constants c)
    {
        var vmsSqrt = (delegate* unmanaged<int, float*, float*, long, void>)VmsSqrt;
        float* root = stackalloc float[Tile];
        for (long start = 0; start < n; start += Tile)
        {
            int length = (int)Math.Min(Tile, n - start);
            Moments(gradient + start, expAvg + start, expAvgSq + start, length, c);
            vmsSqrt(length, expAvgSq + start, root, VmlMode);
            Parameter(parameter + start, expAvg + start, root, length, c);
        }
    }

    /// <summary>m ← fma(g, 1 − β₁, m·β₁); v ← fma((1 − β₂)·g, g, v·β₂) (ATen's addcmul contracts to an FMA).</summary>
    private static unsafe void Moments(float* gradient, float* expAvg, float* expAvgSq, int n, in Constants c)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var b1 = Vector512.Create(c.Beta1);
            var a1 = Vector512.Create(c.OneMinusBeta1);
            var b2 = Vector512.Create(c.Beta2);
            var a2 = Vector512.Create(c.OneMinusBeta2);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var g = Vector512.Load(gradient + i);
                Vector512.FusedMultiplyAdd(g, a1, Vector512.Load(expAvg + i) * b1).Store(expAvg + i);
                Vector512.FusedMultiplyAdd(a2 * g, g, Vector512.Load(expAvgSq + i) * b2).Store(expAvgSq + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var b1 = Vector256.Create(c.Beta1);
            var a1 = Vector256.Create(c.OneMinusBeta1);
            var b2 = Vector256.Create(c.Beta2);
            var a2 = Vector256.Create(c.OneMinusBeta2);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var g = Vector256.Load(gradient + i);
                Vector256.FusedMultiplyAdd(g, a1, Vector256.Load(expAvg + i) * b1).Store(expAvg + i);
                Vector256.FusedMultiplyAdd(a2 * g, g, Vector256.Load(expAvgSq + i) * b2).Store(expAvgSq + i);
            }
        }

        for (; i < n; i++)
        {
            float g = gradient[i];
            expAvg[i] = MathF.FusedMultiplyAdd(g, c.OneMinusBeta1, expAvg[i] * c.Beta1);
            expAvgSq[i] = MathF.FusedMultiplyAdd(c.OneMinusBeta2 * g, g, expAvgSq[i] * c.Beta2);
        }
    }

    /// <summary>p ← p + (s·m) / (√v / √bc₂ + ε), given √v.</summary>
    private static unsafe void Parameter(float* parameter, float* expAvg, float* root, int n, in Constants c)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var bias = Vector512.Create(c.RootOfBiasCorrection2);
            var eps = Vector512.Create(c.Epsilon);
            var s = Vector512.Create(c.StepSize);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var d = (Vector512.Load(root + i) / bias) + eps;
                (Vector512.Load(parameter + i) + (s * Vector512.Load(expAvg + i) / d)).Store(parameter + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var bias = Vector256.Create(c.RootOfBiasCorrection2);
            var eps = Vector256.Create(c.Epsilon);
            var s = Vector256.Create(c.StepSize);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var d = (Vector256.Load(root + i) / bias) + eps;
                (Vector256.Load(parameter + i) + (s * Vector256.Load(expAvg + i) / d)).Store(parameter + i);
            }
        }

        for (; i < n; i++)
        {
            float d = (root[i] / c.RootOfBiasCorrection2) + c.Epsilon;
            parameter[i] += c.StepSize * expAvg[i] / d;
        }
    }

    /// <summary>The address of a contiguous CPU tensor's first element (its storage's plus its offset).</summary>
    private static nint Address(Tensor t)
    {
        using var storage = t.storage<float>();
        return storage.data_ptr() + (nint)(t.storage_offset() * sizeof(float));
    }

    private static nint FindVmsSqrt()
    {
        string library = OperatingSystem.IsWindows() ? "torch_cpu.dll" : OperatingSystem.IsMacOS() ? "libtorch_cpu.dylib" : "libtorch_cpu.so";
        try
        {
            // libtorch is loaded already (TorchSharp's shim depends on it), so this finds the same library by name.
            return NativeLibrary.TryLoad(library, typeof(torch).Assembly, null, out nint handle) && NativeLibrary.TryGetExport(handle, "vmsSqrt", out nint address) ? address : 0;
        }
        catch (DllNotFoundException)
        {
            return 0;
        }
    }
}
