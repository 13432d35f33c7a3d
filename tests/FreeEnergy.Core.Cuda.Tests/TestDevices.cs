using static TorchSharp.torch;

namespace FreeEnergy.Core.Cuda.Tests;

/// <summary>The devices tests can run on here: the CPU, and every CUDA device when CUDA is available.</summary>
internal static class TestDevices
{
    public static IReadOnlyList<string> WithData { get; } =
        ["cpu", .. Enumerable.Range(0, CudaDevices.Count).Select(i => $"cuda:{i}")];

    /// <summary>Every (from, to) pair of <see cref="WithData"/>.</summary>
    public static TheoryData<string, string> Pairs
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string from in WithData)
            {
                foreach (string to in WithData)
                {
                    data.Add(from, to);
                }
            }

            return data;
        }
    }

    public static Device Meta { get; } = new("meta");

    /// <summary>Whether <paramref name="tensor"/> lives on <paramref name="device"/> (type and, when given, index).</summary>
    public static bool IsOn(Tensor tensor, Device device) =>
        tensor.device_type == device.type && (device.index < 0 || tensor.device_index == device.index);
}
