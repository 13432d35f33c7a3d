using FreeEnergy.Core.Training;

namespace FreeEnergy.SystemInfo;

/// <summary>Records when each training step finished (synchronously, on the training thread).</summary>
internal sealed class StepClock : IProgress<TrainingProgress>
{
    private readonly List<TimeSpan> finished = [];

    /// <summary>The time since the start of training at which each step (not the epoch's last) finished.</summary>
    public IReadOnlyList<TimeSpan> Finished => finished;

    /// <inheritdoc />
    public void Report(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.IsEndOfEpoch)
        {
            finished.Add(value.Elapsed);
        }
    }

    /// <summary>The durations of steps after the first <paramref name="warmup"/> + 1 (the first has no start mark), sorted.</summary>
    public TimeSpan[] StepTimes(int warmup)
    {
        var times = new List<TimeSpan>();
        for (int i = 1 + warmup; i < finished.Count; i++)
        {
            times.Add(finished[i] - finished[i - 1]);
        }

        times.Sort();
        return [.. times];
    }
}
