using System.Text.Json.Serialization;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Models;

namespace FreeEnergy.Core.Processes;

/// <summary>
/// Whether a process ended at an equilibrium (<see cref="QuasiStaticProcess.RelaxEndpoint(RateDistortionModel, ProcessTrajectory, LabeledTensorDataset, LabeledTensorDataset, int, CancellationToken)"/>):
/// the held quantity on the evaluation data at the end of the process and after training on at the final step's fixed
/// multipliers (and task ratio). At an equilibrium it does not move; a process that held its value only while the
/// network was still learning shows here how far from equilibrium it stopped.
/// </summary>
/// <param name="Held">The quantity the process held.</param>
/// <param name="Goal">The value it held (C₀, R₀ or D₀).</param>
/// <param name="Tolerance">The process's relative tolerance.</param>
/// <param name="Multipliers">The final step's multipliers, fixed during the relaxation.</param>
/// <param name="Ratio">The final task ratio r (transfer), or null.</param>
/// <param name="Epochs">Epochs trained at those values.</param>
/// <param name="Before">The evaluation functionals at the end of the process (of the mixture at r in a transfer).</param>
/// <param name="After">The same after the relaxation.</param>
public sealed record EndpointRelaxation(
    HeldQuantity Held,
    double Goal,
    double Tolerance,
    Multipliers Multipliers,
    [property: JsonPropertyName("mix")] double? Ratio, // the field name in the end-point files; the property has TaskMixture's name for r
    int Epochs,
    Functionals Before,
    Functionals After)
{
    /// <summary>The held quantity at the end of the process.</summary>
    public double HeldBefore => QuasiStaticProcess.HeldValue(Held, Before);

    /// <summary>The held quantity after the relaxation.</summary>
    public double HeldAfter => QuasiStaticProcess.HeldValue(Held, After);

    /// <summary>How far the held quantity moved, relative to the goal: (after − before)/goal.</summary>
    public double RelativeMove => (HeldAfter - HeldBefore) / Goal;

    /// <summary>The drift after the relaxation: (after − goal)/goal.</summary>
    public double DriftAfter => (HeldAfter - Goal) / Goal;

    /// <summary>Whether the held quantity is still within the tolerance after the relaxation.</summary>
    public bool StillHeld => Math.Abs(DriftAfter) <= Tolerance;
}
