using System.Runtime.ExceptionServices;
using TorchSharp;

namespace FreeEnergy.Core.Workers;

/// <summary>
/// A fixed number of compute slots shared by independent pieces of torch work (the chains of a sweep, the
/// experiments of a study), each run on a thread of its own with one torch thread, so that <see cref="Workers"/>
/// jobs keep that many cores busy without over-subscribing them.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="RunAll(IReadOnlyList{Action{CancellationToken}}, CancellationToken)"/> runs jobs concurrently on threads it starts (one per job, or a given number that take the jobs in order); each
/// such thread does its torch work on one intra-op thread, whatever the process-wide setting
/// (<see cref="Diagnostics.FreeEnergyRuntime.SetThreadCount"/>), which neither the calling thread nor threads
/// started later see changed. A job takes a slot with <see cref="Run{T}(Func{T}, int, CancellationToken)"/> for its
/// compute and gives it back when done; a job that only waits for other jobs (a coordinator that calls
/// <c>RunAll</c> itself) holds no slot while it waits. One pool can therefore be shared by nested work: a
/// study's experiments and, inside one of them, a sweep's chains, never more than <see cref="Workers"/> computing at
/// once.
/// </para>
/// <para>
/// Slots go to the waiting job of highest priority, then first come, first served. Work that runs in the pool
/// gives the same numbers as on one torch thread of the calling thread: torch's results depend on the thread
/// count, not on which thread computes (the reason for one thread per worker; worker processes would add a
/// second copy of the data and the backend per worker and gain nothing for models this size).
/// </para>
/// </remarks>
public sealed class WorkerPool
{
    private readonly object gate = new();
    private readonly bool[] busy;
    private readonly List<Waiter> waiting = [];
    private long tickets;

    [ThreadStatic]
    private static Holding? holding;

    /// <summary>Creates a pool of <paramref name="workers"/> compute slots.</summary>
    /// <param name="workers">At least 1; typically the number of cores (<see cref="ForMachine"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="workers"/> is less than 1.</exception>
    public WorkerPool(int workers)
    {
        if (workers < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(workers), workers, "A worker pool needs at least 1 worker (1 runs the work one job after another).");
        }

        Workers = workers;
        busy = new bool[workers];
    }

    /// <summary>A pool with one worker per core of this machine (<see cref="Environment.ProcessorCount"/>).</summary>
    public static WorkerPool ForMachine() => new(Environment.ProcessorCount);

    /// <summary>The number of compute slots.</summary>
    public int Workers { get; }

    /// <summary>The slot the calling thread holds in a pool (0 to <see cref="Workers"/> − 1), or null when it holds none.</summary>
    public static int? CurrentWorker => holding is { Slot: >= 0 } held ? held.Slot : null;

    /// <summary>The number of slots taken now.</summary>
    public int Busy
    {
        get
        {
            lock (gate)
            {
                return busy.Count(b => b);
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the calling thread once a slot is free, and frees the slot after it. A thread
    /// that already holds a slot of this pool runs the work at once in that slot.
    /// </summary>
    /// <param name="work">The compute.</param>
    /// <param name="priority">Waiting jobs of higher priority get a slot first (for example the jobs on the longest path of a study).</param>
    /// <param name="cancellationToken">Stops the wait for a slot (the work itself takes its own token).</param>
    /// <returns>What <paramref name="work"/> returned.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting for a slot; the work did not run.</exception>
    public T Run<T>(Func<T> work, int priority = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (holding is { } held && held.Pool == this)
        {
            return work();
        }

        var previous = holding;
        var mine = new Holding(this, Acquire(priority, cancellationToken), priority);
        holding = mine;
        try
        {
            return work();
        }
        finally
        {
            holding = previous;
            if (mine.Slot >= 0)
            {
                Release(mine.Slot); // RunAll or Yield may have given the slot up and taken another
            }
        }
    }

    /// <summary>
    /// Lets a waiting job of at least the same priority have the calling thread's slot, and waits for a slot again
    /// (behind it): for long work that can pause between steps (an epoch, a point), so that it does not keep a job
    /// on a study's longest path waiting. Returns at once when no such job waits, or when the calling thread holds no
    /// slot of this pool. The work's numbers do not change: it continues on the same thread.
    /// </summary>
    /// <param name="cancellationToken">Stops the wait for the slot to come back.</param>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting; the thread then holds no slot, and the surrounding <see cref="Run{T}(Func{T}, int, CancellationToken)"/> frees nothing more.</exception>
    public void Yield(CancellationToken cancellationToken = default)
    {
        if (holding is not { } held || held.Pool != this || held.Slot < 0)
        {
            return;
        }

        lock (gate)
        {
            if (waiting.Count == 0 || First().Priority < held.Priority)
            {
                return;
            }
        }

        // Queue up before the slot is freed (one lock): the job let in may finish before this thread would otherwise
        // have queued, and a job of lower priority must not take the slot in that moment.
        int slot = held.Slot;
        held.Slot = -1;
        held.Slot = Acquire(held.Priority, cancellationToken, releasing: slot);
    }

    /// <inheritdoc cref="Run{T}(Func{T}, int, CancellationToken)"/>
    public void Run(Action work, int priority = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        Run<bool>(() =>
        {
            work();
            return true;
        }, priority, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="jobs"/> concurrently and waits for all of them, each on a thread of its own started here,
    /// with one torch thread. A job takes a slot for its compute with
    /// <see cref="Run{T}(Func{T}, int, CancellationToken)"/>. A thread that holds a slot gives it up while it waits
    /// here and takes it back after.
    /// </summary>
    /// <param name="jobs">The jobs; each gets a token that is cancelled when <paramref name="cancellationToken"/> is, or when another job fails.</param>
    /// <param name="cancellationToken">Stops the jobs (at their next check) and the start of jobs not yet started.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the jobs that finished before kept their effects.</exception>
    /// <remarks>
    /// When a job throws, the others are cancelled, every thread is waited for, and the exception of the failed job
    /// that comes first in <paramref name="jobs"/> is rethrown with its stack trace (jobs stopped by that cancellation
    /// do not count as failures).
    /// </remarks>
    public void RunAll(IReadOnlyList<Action<CancellationToken>> jobs, CancellationToken cancellationToken = default) =>
        RunAll(jobs, jobs?.Count ?? 0, cancellationToken);

    /// <summary>
    /// Runs <paramref name="jobs"/> as <see cref="RunAll(IReadOnlyList{Action{CancellationToken}}, CancellationToken)"/>
    /// does, on at most <paramref name="threads"/> threads that take the jobs in order: for many jobs that only
    /// compute (the chains of a sweep), so that no more of them are under way than there are slots. Jobs that wait
    /// for others (coordinators) need a thread each.
    /// </summary>
    /// <param name="jobs">The jobs.</param>
    /// <param name="threads">At least 1.</param>
    /// <param name="cancellationToken">As for the other overload.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is less than 1 (with at least one job).</exception>
#pragma warning disable CA1822 // Public instance API: the jobs take this pool's slots (they call Run on it); the threads and the held slot are the run's.
    public void RunAll(IReadOnlyList<Action<CancellationToken>> jobs, int threads, CancellationToken cancellationToken = default)
#pragma warning restore CA1822
    {
        CheckJobs(jobs, threads);
        if (jobs.Count == 0)
        {
            return;
        }

        Diagnostics.FreeEnergyRuntime.EnsureBackend();
        using var run = new JobRun(jobs, Math.Min(threads, jobs.Count), cancellationToken);
        var started = Enumerable.Range(0, run.Threads).Select(_ => new Thread(run.Work) { IsBackground = true, Name = "FreeEnergy worker" }).ToList();
        var held = holding;
        if (held is not null)
        {
            held.Pool.Release(held.Slot);
        }

        try
        {
            started.ForEach(t => t.Start());
            started.ForEach(t => t.Join());
        }
        finally
        {
            if (held is not null)
            {
                held.Slot = held.Pool.Acquire(int.MaxValue, CancellationToken.None);
            }
        }

        run.ThrowFirstFailure();
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Throws unless <paramref name="jobs"/> holds no null job and <paramref name="threads"/> is at least 1 (when there is a job).</summary>
    private static void CheckJobs(IReadOnlyList<Action<CancellationToken>> jobs, int threads)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.Count > 0 && threads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(threads), threads, "RunAll needs at least 1 thread.");
        }

        for (int i = 0; i < jobs.Count; i++)
        {
            if (jobs[i] is null)
            {
                throw new ArgumentException($"Job {i} is null.", nameof(jobs));
            }
        }
    }

    /// <summary>
    /// One <see cref="RunAll(IReadOnlyList{Action{CancellationToken}}, int, CancellationToken)"/>: the jobs, the next one
    /// to take, the token that stops them all, each job's failure, and torch's thread count to put back when the last
    /// of its <see cref="Threads"/> threads is done.
    /// </summary>
    private sealed class JobRun(IReadOnlyList<Action<CancellationToken>> jobs, int threads, CancellationToken cancellationToken) : IDisposable
    {
        private readonly CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        private readonly ExceptionDispatchInfo?[] failures = new ExceptionDispatchInfo?[jobs.Count];
        private readonly int previousThreads = torch.get_num_threads();
        private int next = -1;
        private int alive = threads;

        /// <summary>The number of threads that take the jobs.</summary>
        public int Threads { get; } = threads;

        public void Dispose() => stop.Dispose();

        /// <summary>A thread's loop: take the next job until none is left or the run is stopped, on one torch thread.</summary>
        public void Work()
        {
            torch.set_num_threads(1);
            try
            {
                for (int i = Interlocked.Increment(ref next); i < jobs.Count; i = Interlocked.Increment(ref next))
                {
                    if (stop.IsCancellationRequested)
                    {
                        break;
                    }

                    try
                    {
                        jobs[i](stop.Token);
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                        // Stopped by the caller or by another job's failure: not a failure of its own.
                    }
                    catch (Exception e)
                    {
                        failures[i] = ExceptionDispatchInfo.Capture(e);
                        stop.Cancel();
                    }
                }
            }
            finally
            {
                // The last thread out puts torch's default for new threads back as the caller had it.
                if (Interlocked.Decrement(ref alive) == 0)
                {
                    torch.set_num_threads(previousThreads);
                }
            }
        }

        /// <summary>Rethrows, with its stack trace, the failure of the job that comes first in the list, if any failed.</summary>
        public void ThrowFirstFailure() => failures.FirstOrDefault(f => f is not null)?.Throw();
    }

    /// <summary>Waits for a slot; <paramref name="releasing"/> (≥ 0) is a slot this thread frees once it is queued.</summary>
    private int Acquire(int priority, CancellationToken cancellationToken, int releasing = -1)
    {
        var me = new Waiter(priority, Interlocked.Increment(ref tickets));
        using var wake = cancellationToken.CanBeCanceled ? cancellationToken.Register(() =>
        {
            lock (gate)
            {
                Monitor.PulseAll(gate);
            }
        }) : default;
        lock (gate)
        {
            waiting.Add(me);
            if (releasing >= 0)
            {
                busy[releasing] = false;
                Monitor.PulseAll(gate);
            }

            try
            {
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int free = Array.IndexOf(busy, false);
                    if (free >= 0 && First() == me)
                    {
                        busy[free] = true;
                        return free;
                    }

                    Monitor.Wait(gate);
                }
            }
            finally
            {
                waiting.Remove(me);
                Monitor.PulseAll(gate);
            }
        }
    }

    private Waiter First()
    {
        var first = waiting[0];
        foreach (var w in waiting)
        {
            if (w.Priority > first.Priority || (w.Priority == first.Priority && w.Ticket < first.Ticket))
            {
                first = w;
            }
        }

        return first;
    }

    private void Release(int slot)
    {
        lock (gate)
        {
            busy[slot] = false;
            Monitor.PulseAll(gate);
        }
    }

    private sealed record Waiter(int Priority, long Ticket);

    /// <summary>The slot a thread holds (a thread that waits in <c>RunAll</c> gives it up and may get another back).</summary>
    private sealed class Holding(WorkerPool pool, int slot, int priority)
    {
        public WorkerPool Pool { get; } = pool;

        /// <summary>The slot held, or −1 while a <see cref="Yield"/> waits for it to come back.</summary>
        public int Slot { get; set; } = slot;

        /// <summary>The priority the slot was taken with (a <see cref="Yield"/> waits at it).</summary>
        public int Priority { get; } = priority;
    }
}
