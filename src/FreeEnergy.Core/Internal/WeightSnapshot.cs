using static TorchSharp.torch;

namespace FreeEnergy.Core.Internal;

/// <summary>
/// A copy of every parameter and buffer of a module (its state dictionary), to put the weights back after
/// work that changes them. The copies live outside every dispose scope; dispose the snapshot to free them.
/// </summary>
internal sealed class WeightSnapshot : IDisposable
{
    private readonly nn.Module module;
    private readonly List<(string Name, Tensor Copy)> copies = [];
    private bool disposed;

    private WeightSnapshot(nn.Module module)
    {
        this.module = module;
    }

    /// <summary>Copies the current state of <paramref name="module"/>.</summary>
    public static WeightSnapshot Capture(nn.Module module)
    {
        var snapshot = new WeightSnapshot(module);
        try
        {
            using var noGrad = no_grad();
            foreach (var (name, value) in module.state_dict())
            {
                using var detached = value.detach();
                snapshot.copies.Add((name, detached.clone().DetachFromDisposeScope()));
            }

            return snapshot;
        }
        catch
        {
            snapshot.Dispose();
            throw;
        }
    }

    /// <summary>Writes the captured values back into the module's own tensors (in place, without gradients).</summary>
    public void Restore()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var current = module.state_dict();
        using var noGrad = no_grad();
        foreach (var (name, copy) in copies)
        {
            current[name].copy_(copy);
        }
    }

    /// <summary>The largest absolute difference between the captured and the current values (0 when identical).</summary>
    public double MaxAbsoluteDifference()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var current = module.state_dict();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double largest = 0;
        foreach (var (name, copy) in copies)
        {
            if (copy.numel() == 0)
            {
                continue;
            }

            largest = Math.Max(largest, (current[name].to(ScalarType.Float64) - copy.to(ScalarType.Float64)).abs().max().item<double>());
        }

        return largest;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        foreach (var (_, copy) in copies)
        {
            copy.Dispose();
        }

        copies.Clear();
    }
}
