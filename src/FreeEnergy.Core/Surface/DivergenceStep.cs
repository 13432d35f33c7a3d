namespace FreeEnergy.Core.Surface;

/// <summary>Where the training of a diverged sweep point diverged (from <see cref="Training.TrainingDivergedException"/>).</summary>
/// <param name="Epoch">The epoch of the diverged step, from 1.</param>
/// <param name="Step">The step within the epoch, from 1.</param>
public sealed record DivergenceStep(int Epoch, long Step);
