using System.Runtime.InteropServices;
using FreeEnergy.Core.Diagnostics;
using TorchSharp;

namespace FreeEnergy.Core.Cuda;

/// <summary>The real <see cref="ICudaRuntime"/>: asks TorchSharp once and remembers the answers for the process.</summary>
internal sealed class TorchCudaRuntime : ICudaRuntime
{
    private readonly Lazy<(bool Backend, bool Available, int Count, bool Cudnn)> state = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);

    public bool HasCudaBackend => state.Value.Backend;

    public bool IsAvailable => state.Value.Available;

    public int DeviceCount => state.Value.Count;

    public bool IsCudnnAvailable => state.Value.Cudnn;

    private static (bool Backend, bool Available, int Count, bool Cudnn) Probe()
    {
        FreeEnergyRuntime.EnsureBackend();

        // TorchSharp loads torch_cuda (when present) and then asks libtorch; on a CPU-only install this
        // returns false without throwing, because the CPU shim is already loaded.
        bool available = torch.TryInitializeDeviceType(DeviceType.CUDA) && torch.cuda.is_available();

        // The same probe TorchSharp makes: is libtorch's CUDA library resolvable next to TorchSharp?
        // It tells "no CUDA bundle" apart from "bundle present but no usable GPU".
        bool backend = available || NativeLibrary.TryLoad("torch_cuda", typeof(torch).Assembly, null, out _);
        int count = available ? torch.cuda.device_count() : 0;
        bool cudnn = available && torch.cuda.is_cudnn_available();
        return (backend, available, count, cudnn);
    }
}
