using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Workers;

namespace FreeEnergy.Core.Surface;

/// <summary>
/// The settings of a <see cref="SurfaceSweep"/>: continuation, what a divergence does, the records file and how many
/// chains train at once. Immutable; change a copy with <c>with</c> or the sweep's <c>With…</c> methods.
/// <see cref="Problems"/> lists every problem at once; the sweep's constructor throws them all in one
/// <see cref="FreeEnergyConfigurationException"/>.
/// </summary>
public sealed record SurfaceSweepOptions
{
    /// <summary>Whether points warm-start from finished points of their chain (default <see cref="Defaults.Continuation"/>).</summary>
    public bool Continuation { get; init; } = Defaults.Continuation;

    /// <summary>
    /// Whether the sweep goes on after a point whose training diverged (default false: it records the point and
    /// stops with <see cref="Training.TrainingDivergedException"/>).
    /// </summary>
    public bool ContinueAfterDivergence { get; init; }

    /// <summary>The JSON-lines records file (checkpoints beside it), or null (the default) to keep results in memory only.</summary>
    public string? RecordFile { get; init; }

    /// <summary>
    /// The number of chains trained at once, ≥ 1, or null (the default) for the machine's cores. With 1, the chains run
    /// one after another on the calling thread at its torch thread count; with more, each chain runs on a worker
    /// thread of its own with one torch thread. Ignored when <see cref="SharedPool"/> is set (then it must be null).
    /// </summary>
    public int? Workers { get; init; }

    /// <summary>A pool that other work uses as well, whose slots the chains train in (default null: a pool of the sweep's own).</summary>
    public WorkerPool? SharedPool { get; init; }

    /// <summary>The slot priority of every point in <see cref="SharedPool"/> (default 0; see <see cref="WorkerPool.Run{T}(Func{T}, int, CancellationToken)"/>).</summary>
    public int SlotPriority { get; init; }

    /// <summary>Every problem of these settings, one sentence each; empty when valid.</summary>
    public IReadOnlyList<string> Problems() =>
        new ProblemList()
            .Require(Workers is not int w || w >= 1, $"Workers must be ≥ 1 (1 trains the chains one after another on the calling thread) or null for the machine's cores; it is {Workers}.")
            .Require(!(Workers is not null && SharedPool is not null), "Workers and SharedPool are both set; set one (a shared pool has its own number of workers).")
            .Require(RecordFile is null || RecordFile.Length > 0, "RecordFile must not be empty (null keeps the results in memory).")
            .Problems;

    /// <summary>Throws <see cref="FreeEnergyConfigurationException"/> listing every problem, or returns these settings.</summary>
    public SurfaceSweepOptions Validate()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new FreeEnergyConfigurationException(problems);
    }

    /// <summary>The defaults, one place for the initialisers above.</summary>
    public static class Defaults
    {
        /// <summary>Points warm-start from the nearest finished point of their chain.</summary>
        public const bool Continuation = true;
    }
}
