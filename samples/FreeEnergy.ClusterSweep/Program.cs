// One shard of a surface sweep per task of a cluster job array (shard), the same plan unsharded (serial), and the
// merge of the shards' records files compared with a serial run (merge). Run with --help for the options.
using System.Runtime.InteropServices;
using FreeEnergy.ClusterSweep;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl-C stops cleanly (finished points stay recorded); a second one kills the process.
    if (!cancellation.IsCancellationRequested)
    {
        e.Cancel = true;
        Console.Error.WriteLine("Stopping after the current training step (Ctrl-C again to kill)...");
        cancellation.Cancel();
    }
};

// A scheduler preempts or cancels a task with SIGTERM (then SIGKILL after a grace time): stop after the current step.
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    Console.Error.WriteLine("SIGTERM: stopping after the current training step; run the same command again to resume.");
    cancellation.Cancel();
});
return ClusterSweepApp.Run(args, Console.Out, Console.Error, Environment.GetEnvironmentVariable, cancellation.Token);
