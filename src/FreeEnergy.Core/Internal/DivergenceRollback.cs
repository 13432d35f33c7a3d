using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;

namespace FreeEnergy.Core.Internal;

/// <summary>
/// Puts a model back as it was when a call started if the call diverges: the steps before a non-finite loss
/// have usually wrecked the weights already (a learning rate of 1e3 gives finite but enormous weights after
/// one step and R = ∞ after it), so "the last finite step" is no state worth keeping. The weights and
/// buffers (the state dictionary), the training z-noise generator and the training mode are restored bit for bit
/// (<see cref="ModelStateScope"/>), then the
/// <see cref="TrainingDivergedException"/> goes on to the caller. Other exceptions (cancellation) leave the
/// model as they found it.
/// </summary>
internal static class DivergenceRollback
{
    /// <summary>Runs <paramref name="work"/>; on divergence restores <paramref name="model"/> to its state before the call and rethrows.</summary>
    public static T Run<T>(RateDistortionModel model, Func<T> work)
    {
        using var saved = ModelStateScope.Capture(model);
        saved.KeepChanges(); // only a divergence puts the model back
        try
        {
            return work();
        }
        catch (TrainingDivergedException)
        {
            saved.Restore();
            throw;
        }
    }
}
