using FreeEnergy.Core.Identities;

namespace FreeEnergy.Core.Surface;

/// <summary>One round of <see cref="SurfaceSweep.Repair"/>: the points it found failed, what it did, and the certificate after.</summary>
/// <param name="Round">The round, from 1.</param>
/// <param name="Failed">The points the certificate failed at the start of the round.</param>
/// <param name="Attempts">The re-relaxations of the round (at most the budget left).</param>
/// <param name="Certificate">The certificate after the round.</param>
public sealed record RepairRound(int Round, IReadOnlyList<int> Failed, IReadOnlyList<RepairAttempt> Attempts, EquilibriumCertificate Certificate);
