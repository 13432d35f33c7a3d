// One shard of a surface sweep per task of a cluster job array (shard), the same plan unsharded (serial), and the
// merge of the shards' records files compared with a serial run (merge). Run with --help for the options.
using FreeEnergy.ClusterSweep;
using FreeEnergy.Samples;

// The first Ctrl-C stops cleanly (finished points stay recorded); a second one kills the process. A scheduler preempts
// or cancels a task with SIGTERM (then SIGKILL after a grace time): stop after the current step.
using var cancellation = new ConsoleCancellation()
    .AlsoOnSigterm("SIGTERM: stopping after the current training step; run the same command again to resume.");
return ClusterSweepApp.Run(args, Console.Out, Console.Error, Environment.GetEnvironmentVariable, cancellation.Token);
