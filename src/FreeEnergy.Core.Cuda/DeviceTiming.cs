using System.Diagnostics;
using TorchSharp;

namespace FreeEnergy.Core.Cuda;

/// <summary>
/// Timing that is honest on a GPU. CUDA kernels run asynchronously: a stopwatch read right after a call
/// measures only the launch. These helpers wait for the device (torch.cuda.synchronize) before starting and
/// before stopping the clock. On the CPU they are plain stopwatch timings.
/// </summary>
public static class DeviceTiming
{
    /// <summary>Waits until all queued work on <paramref name="device"/> has finished; does nothing for a non-CUDA device.</summary>
    /// <param name="device">The device.</param>
    public static void Synchronize(torch.Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.type == DeviceType.CUDA)
        {
            torch.cuda.synchronize(device);
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> once inside a dispose scope and returns its wall-clock time including
    /// all the device work it queued.
    /// </summary>
    /// <param name="device">The device the action works on.</param>
    /// <param name="action">The work to time; tensors it creates are disposed afterwards.</param>
    public static TimeSpan Time(torch.Device device, Action action)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(action);
        Synchronize(device);
        long start = Stopwatch.GetTimestamp();
        using (torch.NewDisposeScope())
        {
            action();
            Synchronize(device);
        }

        return Stopwatch.GetElapsedTime(start);
    }

    /// <summary>
    /// Runs <paramref name="action"/> <paramref name="warmupIterations"/> times untimed (first calls allocate
    /// and pick kernels), then <paramref name="iterations"/> times timed with <see cref="Time"/>.
    /// </summary>
    /// <param name="device">The device the action works on.</param>
    /// <param name="action">The work to time; tensors it creates are disposed after each run.</param>
    /// <param name="iterations">Timed runs, ≥ 1.</param>
    /// <param name="warmupIterations">Untimed runs first, ≥ 0.</param>
    public static TimingSummary Measure(torch.Device device, Action action, int iterations = 10, int warmupIterations = 2)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(action);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupIterations);
        for (int i = 0; i < warmupIterations; i++)
        {
            Time(device, action);
        }

        var times = new TimeSpan[iterations];
        for (int i = 0; i < iterations; i++)
        {
            times[i] = Time(device, action);
        }

        Array.Sort(times);
        var median = iterations % 2 == 1 ? times[iterations / 2] : (times[(iterations / 2) - 1] + times[iterations / 2]) / 2;
        var mean = TimeSpan.FromTicks((long)times.Average(t => t.Ticks));
        return new TimingSummary(device.ToString(), iterations, mean, median, times[0], times[^1]);
    }
}
