namespace FreeEnergy.Core.Surface;

/// <summary>One re-relaxation of a failed point by <see cref="SurfaceSweep.Repair"/> (nats per example, on the certificate's data).</summary>
/// <param name="Round">The round, from 1.</param>
/// <param name="Index">The point re-relaxed.</param>
/// <param name="Lambda">Its λ.</param>
/// <param name="Gamma">Its γ.</param>
/// <param name="StartFrom">The point whose weights the re-relaxation started from (the point itself or a point on one of its grid lines).</param>
/// <param name="StartObjective">J of those weights at this point's multipliers, before training.</param>
/// <param name="FreeEnergyBefore">F of the point's record before the attempt.</param>
/// <param name="FreeEnergyAfter">J of the re-relaxed weights at the point's multipliers.</param>
/// <param name="Accepted">Whether F decreased, so the result replaced the record and the checkpoint.</param>
/// <param name="Epochs">Epochs trained.</param>
/// <param name="Seconds">Wall-clock seconds of the attempt.</param>
public sealed record RepairAttempt(int Round, int Index, double Lambda, double Gamma, int StartFrom, double StartObjective, double FreeEnergyBefore, double FreeEnergyAfter, bool Accepted, int Epochs, double Seconds);
