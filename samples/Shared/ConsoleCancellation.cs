using System.Runtime.InteropServices;

namespace FreeEnergy.Samples;

/// <summary>
/// Ctrl-C handling of the long-running samples: the first Ctrl-C cancels <see cref="Token"/> (the run stops after the
/// current training step and what it finished stays on disk); a second one kills the process. Linked into the sample
/// projects that need it from samples/Shared (a source file rather than a project: a sample stays one project a
/// reader can copy, and the handler is a dozen lines of Program.cs, not a library).
/// </summary>
internal sealed class ConsoleCancellation : IDisposable
{
    private readonly CancellationTokenSource cancellation = new();
    private PosixSignalRegistration? terminate;

    public ConsoleCancellation() => Console.CancelKeyPress += OnCancelKeyPress;

    /// <summary>Cancelled by the first Ctrl-C (or SIGTERM, after <see cref="AlsoOnSigterm"/>).</summary>
    public CancellationToken Token => cancellation.Token;

    /// <summary>
    /// Also stops cleanly on SIGTERM (a cluster scheduler preempts or cancels a task with it, then SIGKILL after a
    /// grace time), printing <paramref name="message"/>.
    /// </summary>
    public ConsoleCancellation AlsoOnSigterm(string message)
    {
        terminate?.Dispose();
        terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Console.Error.WriteLine(message);
            cancellation.Cancel();
        });
        return this;
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        terminate?.Dispose();
        cancellation.Dispose();
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        // The first Ctrl-C stops cleanly; a second one (e.Cancel left false) kills the process.
        if (!cancellation.IsCancellationRequested)
        {
            e.Cancel = true;
            Console.Error.WriteLine("Stopping after the current training step (Ctrl-C again to kill)...");
            cancellation.Cancel();
        }
    }
}
