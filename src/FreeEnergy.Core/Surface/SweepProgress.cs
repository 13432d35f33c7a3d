using FreeEnergy.Core.Training;

namespace FreeEnergy.Core.Surface;

/// <summary>A progress report of a sweep: plain numbers only.</summary>
/// <param name="Completed">Points finished (including points found already finished in the records file, and points recorded as diverged by a sweep that goes on past them).</param>
/// <param name="Total">Points in the plan (or shard).</param>
/// <param name="Point">The point being trained.</param>
/// <param name="Training">The trainer's latest report for that point, or null when the point just finished.</param>
/// <param name="Elapsed">Time since the sweep started.</param>
public sealed record SweepProgress(int Completed, int Total, PlannedPoint Point, TrainingProgress? Training, TimeSpan Elapsed)
{
    /// <summary>The worker training the point (0 to workers − 1; 0 in a serial sweep).</summary>
    public int Worker { get; init; }
}
