namespace FreeEnergy.Core.Identities;

/// <summary>
/// Convexity of R(D, C) over a set of surface points (theory.md §2, fact 4), checked through its supporting
/// planes: for every ordered pair (i, j), R_j ≥ R_i − λ_i·(D_j − D_i) − γ_i·(C_j − C_i). Equivalently, no point j
/// has a lower objective than point i at point i's own multipliers: F_i ≤ R_j + λ_i·D_j + γ_i·C_j.
/// </summary>
/// <param name="WorstViolation">The largest R_i − λ_i·(D_j − D_i) − γ_i·(C_j − C_i) − R_j over ordered pairs i ≠ j, in nats; ≤ 0 for a convex set.</param>
/// <param name="SupportIndex">i of the worst pair: the point whose supporting plane is crossed.</param>
/// <param name="ViolatingIndex">j of the worst pair: the point below that plane.</param>
/// <param name="PairCount">The number of ordered pairs checked, n·(n − 1).</param>
/// <param name="ViolationCount">The number of ordered pairs whose violation exceeds <paramref name="Tolerance"/>.</param>
/// <param name="Tolerance">The slack used to count violations, in nats.</param>
public sealed record ConvexityResidual(double WorstViolation, int SupportIndex, int ViolatingIndex, int PairCount, int ViolationCount, double Tolerance)
{
    /// <summary>Whether no pair violates the supporting-plane inequality by more than <see cref="Tolerance"/>.</summary>
    public bool IsConvex => ViolationCount == 0;
}
