namespace FreeEnergy.Core.Diagnostics;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls its handler at once, on the thread that reports: the training thread of
/// a trainer, a sweep's chain or a process. <see cref="Progress{T}"/> instead posts every report to the thread pool
/// (or the captured synchronisation context), so in a console program its reports arrive late, out of order with
/// other output, or after the call returned.
/// </summary>
/// <remarks>
/// The handler runs inside the library's loop: keep it short (print, store, update a bar). A sweep on several workers
/// calls it from its worker threads, one report at a time (its records and the progress sink share one lock).
/// </remarks>
/// <typeparam name="T">The report type (<c>TrainingProgress</c>, <c>SweepProgress</c>, <c>ProcessStep</c>, …).</typeparam>
/// <param name="handler">Called with every report.</param>
public sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
{
    private readonly Action<T> handler = handler ?? throw new ArgumentNullException(nameof(handler));

    /// <inheritdoc />
    public void Report(T value) => handler(value);
}
