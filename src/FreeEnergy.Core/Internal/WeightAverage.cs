using static TorchSharp.torch;

namespace FreeEnergy.Core.Internal;

/// <summary>
/// An exponential moving average of every parameter and buffer of a module, kept beside the live weights
/// that the optimizer steps. Floating-point buffers (BatchNorm's running mean and variance) are averaged like
/// the parameters; integer buffers (BatchNorm's batch counter) follow the live value. The copies live outside
/// every dispose scope; dispose the average to free them.
/// </summary>
internal sealed class WeightAverage : IDisposable
{
    private readonly List<(Tensor Live, Tensor Average, Tensor Backup, bool Floating)> entries = [];
    private bool swappedIn;
    private bool disposed;

    private WeightAverage()
    {
    }

    /// <summary>Starts the average at the module's current weights.</summary>
    public static WeightAverage Start(nn.Module module)
    {
        var average = new WeightAverage();
        try
        {
            using var noGrad = no_grad();
            var live = module.named_parameters().Select(p => (Tensor)p.parameter).Concat(module.named_buffers().Select(b => b.buffer));
            foreach (var tensor in live)
            {
                using var detached = tensor.detach();
                var copy = detached.clone().DetachFromDisposeScope();
                var backup = empty_like(detached).DetachFromDisposeScope();
                average.entries.Add((tensor, copy, backup, tensor.is_floating_point()));
            }

            return average;
        }
        catch
        {
            average.Dispose();
            throw;
        }
    }

    /// <summary>average ← decay·average + (1 − decay)·live, for decay in [0, 1].</summary>
    public void Update(double decay)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using var noGrad = no_grad();
        foreach (var (live, average, _, floating) in entries)
        {
            if (floating)
            {
                average.lerp_(live, 1 - decay);
            }
            else
            {
                average.copy_(live);
            }
        }
    }

    /// <summary>Puts the averaged weights into the module, keeping the live ones aside (undo with <see cref="SwapOut"/>).</summary>
    public void SwapIn()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using var noGrad = no_grad();
        foreach (var (live, average, backup, _) in entries)
        {
            backup.copy_(live);
            live.copy_(average);
        }

        swappedIn = true;
    }

    /// <summary>Puts the live weights back after <see cref="SwapIn"/>.</summary>
    public void SwapOut()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (!swappedIn)
        {
            return;
        }

        using var noGrad = no_grad();
        foreach (var (live, _, backup, _) in entries)
        {
            live.copy_(backup);
        }

        swappedIn = false;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        foreach (var (_, average, backup, _) in entries)
        {
            average.Dispose();
            backup.Dispose();
        }

        entries.Clear();
    }
}
