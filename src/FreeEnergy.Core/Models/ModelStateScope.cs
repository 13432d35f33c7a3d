using FreeEnergy.Core.Internal;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Models;

/// <summary>
/// Saves a <see cref="RateDistortionModel"/>'s state (its weights and buffers, its training mode and the state of its
/// training z-noise generator) and puts it back when disposed, so that work which changes the model (relaxations of
/// a finite-difference estimator, a trial step, an evaluation in eval mode) leaves it as it was found, also when the
/// work throws. This is how an <see cref="Derivatives.IDerivativeEstimator"/> written outside the library keeps the
/// interface's promise that the model's weights are unchanged on return.
/// </summary>
/// <example>
/// <code>
/// using (var saved = ModelStateScope.Capture(model))
/// {
///     trainer.Train(model, nearby, data);   // changes weights, mode and noise
///     saved.Restore();                      // back to the start, for the next trial
///     trainer.Train(model, other, data);
/// }                                         // restored again here
/// </code>
/// </example>
/// <remarks>
/// The copy of the weights lives outside every dispose scope and is freed by <see cref="Dispose"/>. Call
/// <see cref="KeepChanges"/> to end the scope without putting the state back (a step that succeeded).
/// <see cref="CaptureMode"/> saves only the training mode, which costs nothing.
/// </remarks>
public sealed class ModelStateScope : IDisposable
{
    private readonly RateDistortionModel model;
    private readonly bool wasTraining;
    private readonly WeightSnapshot? weights;
    private readonly Tensor? noise;
    private bool keep;
    private bool disposed;

    private ModelStateScope(RateDistortionModel model, bool everything)
    {
        ArgumentNullException.ThrowIfNull(model);
        this.model = model;
        wasTraining = model.Network.training;
        if (!everything)
        {
            return;
        }

        weights = WeightSnapshot.Capture(model.Network);
        try
        {
            using var scope = NewDisposeScope();
            noise = model.TrainingNoise.get_state().clone().DetachFromDisposeScope();
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>Saves the model's weights and buffers, its training mode and its training z-noise state.</summary>
    /// <param name="model">The model.</param>
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public static ModelStateScope Capture(RateDistortionModel model) => new(model, true);

    /// <summary>Saves only the model's training mode (train or eval), to switch it for a while.</summary>
    /// <param name="model">The model.</param>
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public static ModelStateScope CaptureMode(RateDistortionModel model) => new(model, false);

    /// <summary>Puts the saved state back now and keeps the scope (restore again later, or at <see cref="Dispose"/>).</summary>
    /// <exception cref="ObjectDisposedException">The scope is disposed.</exception>
    public void Restore()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        weights?.Restore();
        if (noise is not null)
        {
            model.TrainingNoise.set_state(noise);
        }

        model.Network.train(wasTraining);
    }

    /// <summary>Ends the scope without putting the state back at <see cref="Dispose"/> (the changes are kept).</summary>
    public void KeepChanges() => keep = true;

    /// <summary>Puts the saved state back (unless <see cref="KeepChanges"/> was called) and frees the saved copy.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        try
        {
            if (!keep)
            {
                Restore();
            }
        }
        finally
        {
            disposed = true;
            weights?.Dispose();
            noise?.Dispose();
        }
    }
}
