namespace FreeEnergy.Core.Identities;

/// <summary>The certificate's verdict on one point.</summary>
/// <param name="Index">The point's index.</param>
/// <param name="Lambda">λ.</param>
/// <param name="Gamma">γ.</param>
/// <param name="Status">Pass, fail, within uncertainty, not applicable or invalid.</param>
/// <param name="WorstViolation">The largest violation blamed on the point, in nats (0 when none).</param>
/// <param name="WorstRelativeViolation">The same relative to |F| at the point.</param>
/// <param name="Checked">Inequalities that involve the point (as the bounded point or the partner).</param>
/// <param name="Reason">Why the point is invalid, or null.</param>
public sealed record PointVerdict(int Index, double Lambda, double Gamma, PointStatus Status, double WorstViolation, double WorstRelativeViolation, int Checked, string? Reason);
