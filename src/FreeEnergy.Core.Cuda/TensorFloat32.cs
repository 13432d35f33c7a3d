using FreeEnergy.Core.Diagnostics;
using TorchSharp;

namespace FreeEnergy.Core.Cuda;

/// <summary>
/// Process-wide TF32 switches of libtorch's CUDA backend (Ampere and newer GPUs): float32 matrix products
/// (cuBLAS) and convolutions (cuDNN) may round their inputs to TF32 (10-bit mantissa) for speed.
/// </summary>
/// <remarks>
/// <para>TF32 can make float32 training on CUDA up to several times faster (TorchSharp issue #1136 measured TF32 as
/// the whole gap to PyTorch's defaults), at the cost of about 1e-3 relative error per product. Leave it off when
/// you check identities or derivatives of the equilibrium surface numerically; turn it on for long sweeps where
/// speed matters more. It has no effect on the CPU.</para>
/// <para>These are global libtorch settings: they apply to every model in the process, so the library never
/// changes them on its own. Set them once at start-up, or use <see cref="Scope"/> to change them for a block.</para>
/// </remarks>
public static class TensorFloat32
{
    /// <summary>Whether CUDA float32 matrix products may use TF32 (torch.backends.cuda.matmul.allow_tf32).</summary>
    /// <exception cref="FreeEnergyBackendException">TorchSharp's native backend cannot be loaded.</exception>
    public static bool MatMul
    {
        get
        {
            FreeEnergyRuntime.EnsureBackend();
            return torch.backends.cuda.matmul.allow_tf32;
        }

        set
        {
            FreeEnergyRuntime.EnsureBackend();
            torch.backends.cuda.matmul.allow_tf32 = value;
        }
    }

    /// <summary>Whether cuDNN convolutions may use TF32 (torch.backends.cudnn.allow_tf32).</summary>
    /// <exception cref="FreeEnergyBackendException">TorchSharp's native backend cannot be loaded.</exception>
    public static bool Cudnn
    {
        get
        {
            FreeEnergyRuntime.EnsureBackend();
            return torch.backends.cudnn.allow_tf32;
        }

        set
        {
            FreeEnergyRuntime.EnsureBackend();
            torch.backends.cudnn.allow_tf32 = value;
        }
    }

    /// <summary>Sets both switches (<see cref="MatMul"/> and <see cref="Cudnn"/>) to <paramref name="enabled"/>.</summary>
    /// <exception cref="FreeEnergyBackendException">TorchSharp's native backend cannot be loaded.</exception>
    public static void Set(bool enabled)
    {
        MatMul = enabled;
        Cudnn = enabled;
    }

    /// <summary>
    /// Sets both switches to <paramref name="enabled"/> until the returned object is disposed, then restores
    /// the values they had before.
    /// </summary>
    /// <example>
    /// <code>
    /// using (TensorFloat32.Scope(false)) { IdentityCheck.Grid(surface.Points); }
    /// </code>
    /// </example>
    /// <exception cref="FreeEnergyBackendException">TorchSharp's native backend cannot be loaded.</exception>
    public static IDisposable Scope(bool enabled)
    {
        var restore = new Restore(MatMul, Cudnn);
        Set(enabled);
        return restore;
    }

    private sealed class Restore(bool matMul, bool cudnn) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done)
            {
                return;
            }

            done = true;
            MatMul = matMul;
            Cudnn = cudnn;
        }
    }
}
