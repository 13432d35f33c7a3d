using FreeEnergy.Core.Models;

namespace FreeEnergy.Core.Training;

/// <summary>The outcome of one <c>EquilibriumTrainer.Train</c> call.</summary>
/// <param name="Multipliers">The multipliers trained at.</param>
/// <param name="Training">Functionals on the training data after the last epoch (null when that evaluation was switched off).</param>
/// <param name="Evaluation">Functionals on the evaluation data after the last epoch.</param>
/// <param name="Epochs">Epochs trained in this call.</param>
/// <param name="Converged">Whether the convergence rule was met (false: stopped at the maximum number of epochs).</param>
/// <param name="Elapsed">Wall-clock time of the call.</param>
/// <param name="ObjectiveHistory">J on the evaluation data after each epoch.</param>
public sealed record TrainingResult(
    Multipliers Multipliers,
    Functionals? Training,
    Functionals Evaluation,
    int Epochs,
    bool Converged,
    TimeSpan Elapsed,
    IReadOnlyList<double> ObjectiveHistory)
{
    /// <summary>J = R + λD + γC on the evaluation data: the free energy F(λ, γ) when <see cref="Converged"/>.</summary>
    public double FreeEnergy => Evaluation.Objective(Multipliers);
}
