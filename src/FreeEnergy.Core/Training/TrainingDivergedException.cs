using System.Globalization;
using FreeEnergy.Core.Models;

namespace FreeEnergy.Core.Training;

/// <summary>
/// Thrown when the training loss becomes NaN or infinite. The call that threw it has put the model back as it
/// was before the call (weights, buffers and training z-noise, bit for bit): the finite steps before a
/// divergence have usually wrecked the weights already, so they are not kept. The model can be trained again
/// at once, with a smaller learning rate or smaller multipliers.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException()
        : base("Training diverged.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TrainingDivergedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TrainingDivergedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a diverged step.</summary>
    /// <param name="epoch">The epoch, from 1.</param>
    /// <param name="step">The step within the epoch, from 1.</param>
    /// <param name="multipliers">The multipliers trained at.</param>
    /// <param name="loss">The non-finite loss.</param>
    public TrainingDivergedException(int epoch, long step, Multipliers multipliers, double loss)
        : base(string.Create(CultureInfo.InvariantCulture, $"Training diverged at epoch {epoch}, step {step}, {multipliers}: the loss was {loss}. The model was put back as it was before the call. Try a smaller learning rate or smaller multipliers."))
    {
        Epoch = epoch;
        Step = step;
        Multipliers = multipliers;
        Loss = loss;
    }

    /// <summary>The epoch of the diverged step, from 1.</summary>
    public int Epoch { get; }

    /// <summary>The step within the epoch, from 1.</summary>
    public long Step { get; }

    /// <summary>The multipliers trained at.</summary>
    public Multipliers Multipliers { get; }

    /// <summary>The non-finite loss.</summary>
    public double Loss { get; }
}
