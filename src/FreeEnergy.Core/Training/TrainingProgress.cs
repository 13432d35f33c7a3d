namespace FreeEnergy.Core.Training;

/// <summary>
/// A progress report of <see cref="EquilibriumTrainer"/>: plain numbers only. Running means are over the
/// steps of the current epoch so far, in nats per example.
/// </summary>
/// <param name="Epoch">The current epoch, from 1.</param>
/// <param name="MaxEpochs">The most epochs this call may train.</param>
/// <param name="Step">Steps finished in this epoch.</param>
/// <param name="StepsPerEpoch">Steps in one epoch.</param>
/// <param name="Lambda">λ.</param>
/// <param name="Gamma">γ.</param>
/// <param name="Objective">Running mean of the training objective J = R + λD + γC.</param>
/// <param name="Rate">Running mean of R.</param>
/// <param name="Distortion">Running mean of D.</param>
/// <param name="Classification">Running mean of C.</param>
/// <param name="EvaluationObjective">J on the evaluation data after the last finished epoch, or NaN before the first.</param>
/// <param name="Elapsed">Time since the call started.</param>
public sealed record TrainingProgress(
    int Epoch,
    int MaxEpochs,
    long Step,
    long StepsPerEpoch,
    double Lambda,
    double Gamma,
    double Objective,
    double Rate,
    double Distortion,
    double Classification,
    double EvaluationObjective,
    TimeSpan Elapsed)
{
    /// <summary>Whether this report marks the end of an epoch.</summary>
    public bool IsEndOfEpoch => Step == StepsPerEpoch;
}
