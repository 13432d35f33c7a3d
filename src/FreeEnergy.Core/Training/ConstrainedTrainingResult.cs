using FreeEnergy.Core.Models;
using FreeEnergy.Core.Processes;

namespace FreeEnergy.Core.Training;

/// <summary>
/// The outcome of <see cref="EquilibriumTrainer.TrainAtFixed"/>: training to equilibrium at a fixed functional
/// (for example C = C*) instead of a fixed multiplier, and the multiplier it found (the Legendre dual of ordinary
/// training).
/// </summary>
/// <param name="Multipliers">The multipliers at the end: the fixed one as given, the free one as found.</param>
/// <param name="Held">The functional held.</param>
/// <param name="Target">The value it was held at.</param>
/// <param name="Training">Functionals on the training data at the end (null when that evaluation is switched off).</param>
/// <param name="Evaluation">Functionals on the evaluation data at the last check (fixed examples and z-noise).</param>
/// <param name="Drift">(held value on the evaluation data − target)/target at the last check.</param>
/// <param name="Reached">Whether the last <c>consecutiveChecks</c> checks were all within the tolerance.</param>
/// <param name="Converged">Whether the target was reached and the rest of the objective settled by the trainer's convergence rule.</param>
/// <param name="Epochs">Epochs trained.</param>
/// <param name="Elapsed">Wall-clock time.</param>
/// <param name="FreeMultiplierHistory">The free multiplier at every check.</param>
/// <param name="DriftHistory">The drift at every check.</param>
public sealed record ConstrainedTrainingResult(
    Multipliers Multipliers,
    HeldQuantity Held,
    double Target,
    Functionals? Training,
    Functionals Evaluation,
    double Drift,
    bool Reached,
    bool Converged,
    int Epochs,
    TimeSpan Elapsed,
    IReadOnlyList<double> FreeMultiplierHistory,
    IReadOnlyList<double> DriftHistory);
