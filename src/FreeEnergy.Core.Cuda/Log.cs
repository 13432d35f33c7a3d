using Microsoft.Extensions.Logging;

namespace FreeEnergy.Core.Cuda;

/// <summary>Every log message of FreeEnergy.Core.Cuda, with stable event ids (100 and up; FreeEnergy.Core uses lower ids).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Using CUDA device {Device} ({DeviceCount} CUDA device(s), cuDNN {Cudnn})")]
    public static partial void CudaSelected(ILogger logger, TorchSharp.torch.Device device, int deviceCount, bool cudnn);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "CUDA not used ({Availability}); falling back to the CPU. {Explanation}")]
    public static partial void CpuFallback(ILogger logger, CudaAvailability availability, string explanation);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "CUDA device index {Index} does not exist ({DeviceCount} device(s)); falling back to the CPU. {Explanation}")]
    public static partial void CpuFallbackIndexOutOfRange(ILogger logger, int index, int deviceCount, string explanation);
}
