using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Workers;
using TorchSharp;

namespace FreeEnergy.Core.Tests.Workers;

public sealed class WorkerPoolTests
{
    /// <summary>A job that takes a slot, counts how many compute at once, and lets the others start.</summary>
    private static Action<CancellationToken> Computing(WorkerPool pool, int[] state, List<int>? order = null, int id = 0) => token => pool.Run(() =>
    {
        int now = Interlocked.Increment(ref state[0]);
        InterlockedMax(ref state[1], now);
        if (order is not null)
        {
            lock (order)
            {
                order.Add(id);
            }
        }

        Thread.Sleep(15);
        Interlocked.Decrement(ref state[0]);
    }, cancellationToken: token);

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    [Fact]
    public void NeverMoreThanItsWorkersComputeAtOnceAndEveryJobRuns()
    {
        var pool = new WorkerPool(2);
        int[] state = new int[2];
        var order = new List<int>();
        pool.RunAll([.. Enumerable.Range(0, 7).Select(i => Computing(pool, state, order, i))]);

        Assert.Equal(7, order.Count);
        Assert.Equal(Enumerable.Range(0, 7), order.Order());
        Assert.Equal(2, state[1]); // two at once (7 jobs of 15 ms on 2 threads), never three
        Assert.Equal(0, pool.Busy);
    }

    [Fact]
    public void NestedWorkSharesTheSlotsWithoutDeadlockEvenWithOneWorker()
    {
        foreach (int workers in new[] { 1, 2 })
        {
            var pool = new WorkerPool(workers);
            int[] state = new int[2];
            int ran = 0;
            // Two coordinators, each fanning out 3 compute jobs; one of them waits while holding a slot.
            pool.RunAll(
            [
                token => pool.RunAll([.. Enumerable.Range(0, 3).Select(_ => Computing(pool, state))], token),
                token => pool.Run(() =>
                {
                    Interlocked.Increment(ref ran);
                    pool.RunAll([.. Enumerable.Range(0, 3).Select(_ => Computing(pool, state))], token);
                    Assert.NotNull(WorkerPool.CurrentWorker); // the slot is taken back after the wait
                }, cancellationToken: token),
            ]);

            Assert.Equal(1, ran);
            Assert.InRange(state[1], 1, workers);
            Assert.Equal(0, pool.Busy);
        }
    }

    [Fact]
    public void AFreedSlotGoesToTheHighestPriorityThenToTheFirstComer()
    {
        var pool = new WorkerPool(1);
        var order = new List<string>();
        using var holding = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() => pool.Run(() =>
        {
            holding.Set();
            release.Wait();
        }));
        holder.Start();
        holding.Wait();

        var waiters = new List<Thread>();
        foreach (var (name, priority) in new[] { ("low-1", 0), ("high", 5), ("low-2", 0), ("middle", 2) })
        {
            var t = new Thread(() => pool.Run(() =>
            {
                lock (order)
                {
                    order.Add(name);
                }
            }, priority));
            t.Start();
            SpinWait.SpinUntil(() => t.ThreadState == ThreadState.WaitSleepJoin);
            Thread.Sleep(20); // it has its ticket: the order of arrival is this loop's
            waiters.Add(t);
        }

        release.Set();
        holder.Join();
        waiters.ForEach(t => t.Join());

        Assert.Equal(["high", "middle", "low-1", "low-2"], order);
    }

    [Fact]
    public void YieldLetsAWaitingJobOfAtLeastTheSamePriorityGoFirstAndNoLowerOne()
    {
        var pool = new WorkerPool(1);
        var order = new List<string>();
        void Note(string what)
        {
            lock (order)
            {
                order.Add(what);
            }
        }

        pool.Yield(); // no slot held: nothing happens
        using var started = new ManualResetEventSlim();
        using var waitersQueued = new ManualResetEventSlim();
        var long1 = new Thread(() => pool.Run(() =>
        {
            started.Set();
            waitersQueued.Wait();
            Note("long: part 1");
            pool.Yield(); // the higher-priority job goes first, the lower one does not
            Note("long: part 2");
            pool.Yield(); // only the lower one waits now: no yield
            Note("long: part 3");
        }, priority: 2));
        long1.Start();
        started.Wait();
        var threads = new List<Thread>();
        foreach (var (name, priority) in new[] { ("low", 1), ("high", 3) })
        {
            var t = new Thread(() => pool.Run(() => Note(name), priority));
            t.Start();
            SpinWait.SpinUntil(() => t.ThreadState == ThreadState.WaitSleepJoin);
            Thread.Sleep(20);
            threads.Add(t);
        }

        waitersQueued.Set();
        long1.Join();
        threads.ForEach(t => t.Join());
        Assert.Equal(["long: part 1", "high", "long: part 2", "long: part 3", "low"], order);
        Assert.Equal(0, pool.Busy);
    }

    [Fact]
    public void AYieldCancelledWhileWaitingThrowsAndFreesNoSlotTwice()
    {
        var pool = new WorkerPool(1);
        using var cancel = new CancellationTokenSource();
        using var yielding = new ManualResetEventSlim();
        using var highHolds = new ManualResetEventSlim();
        Exception? caught = null;
        var yielder = new Thread(() =>
        {
            try
            {
                pool.Run(() =>
                {
                    yielding.Wait();
                    pool.Yield(cancel.Token);
                });
            }
            catch (OperationCanceledException e)
            {
                caught = e;
            }
        });
        var high = new Thread(() => pool.Run(() =>
        {
            highHolds.Set();
            SpinWait.SpinUntil(() => yielder.ThreadState == ThreadState.WaitSleepJoin && caught is null);
            Thread.Sleep(20);
            cancel.Cancel();
            SpinWait.SpinUntil(() => caught is not null);
            Assert.Equal(1, pool.Busy); // the cancelled yielder holds nothing; this job still holds its slot
        }, priority: 5));
        yielder.Start();
        SpinWait.SpinUntil(() => pool.Busy == 1);
        high.Start();
        SpinWait.SpinUntil(() => high.ThreadState == ThreadState.WaitSleepJoin);
        Thread.Sleep(20);
        yielding.Set();
        high.Join();
        yielder.Join();
        Assert.IsType<OperationCanceledException>(caught);
        Assert.Equal(0, pool.Busy);
        Assert.Equal(7, pool.Run(() => 7)); // the slot is free again for anyone
    }

    [Fact]
    public void AFailureCancelsTheOtherJobsAndTheFirstFailedJobsExceptionComesOut()
    {
        var pool = new WorkerPool(2);
        bool cancelledSeen = false;
        var ex = Assert.Throws<InvalidOperationException>(() => pool.RunAll(
        [
            token =>
            {
                // Runs until the failure of job 1 cancels it.
                while (!token.IsCancellationRequested)
                {
                    Thread.Sleep(1);
                }

                cancelledSeen = true;
                token.ThrowIfCancellationRequested();
            },
            _ => throw new InvalidOperationException("job 1 failed"),
            _ => throw new InvalidOperationException("job 2 must not start after a failure"),
        ]));

        Assert.Equal("job 1 failed", ex.Message);
        Assert.True(cancelledSeen);
        Assert.Equal(0, pool.Busy);
    }

    [Fact]
    public void CancellationStopsTheJobsAndThrows()
    {
        var pool = new WorkerPool(2);
        using var cts = new CancellationTokenSource();
        int started = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => pool.RunAll(
            [.. Enumerable.Range(0, 6).Select(i => (Action<CancellationToken>)(token =>
            {
                Interlocked.Increment(ref started);
                if (i == 1)
                {
                    cts.Cancel();
                }

                token.WaitHandle.WaitOne();
                token.ThrowIfCancellationRequested();
            }))],
            threads: 2,
            cts.Token));

        Assert.InRange(started, 2, 3); // the jobs after the stop never start
        Assert.Equal(0, pool.Busy);
    }

    [Fact]
    public void WorkersComputeOnOneTorchThreadAndTheCallersSettingIsUnchanged()
    {
        // The test process runs torch on one thread (TorchFixture): set 2 here so that a change would show.
        FreeEnergyRuntime.SetThreadCount(2);
        try
        {
            var pool = new WorkerPool(2);
            var seen = new int[3];
            pool.RunAll([.. Enumerable.Range(0, 3).Select(i => (Action<CancellationToken>)(token => pool.Run(() => seen[i] = torch.get_num_threads(), cancellationToken: token)))]);

            Assert.All(seen, n => Assert.Equal(1, n));
            Assert.Equal(2, FreeEnergyRuntime.ThreadCount);
            int onNewThread = 0;
            var fresh = new Thread(() => onNewThread = torch.get_num_threads());
            fresh.Start();
            fresh.Join();
            Assert.Equal(2, onNewThread);
        }
        finally
        {
            FreeEnergyRuntime.SetThreadCount(1);
        }
    }

    [Fact]
    public void BadInputGivesAClearError()
    {
        var zero = Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerPool(0));
        Assert.Equal("workers", zero.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerPool(-3));
        var pool = new WorkerPool(2);
        Assert.Throws<ArgumentNullException>(() => pool.RunAll(null!));
        var nullJob = Assert.Throws<ArgumentException>(() => pool.RunAll([_ => { }, null!]));
        Assert.Contains("Job 1", nullJob.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => pool.Run((Action)null!));
        pool.RunAll([]); // nothing to do is not an error
        Assert.Equal("threads", Assert.Throws<ArgumentOutOfRangeException>(() => pool.RunAll([_ => { }], threads: 0)).ParamName);
        Assert.Equal(Environment.ProcessorCount, WorkerPool.ForMachine().Workers);
    }
}
