using FreeEnergy.Core.Models;

namespace FreeEnergy.Core.Surface;

/// <summary>One point of a <see cref="SweepPlan"/>.</summary>
/// <param name="Index">The point's index in the full plan (stable across shards).</param>
/// <param name="Chain">The chain it belongs to.</param>
/// <param name="Position">Its position in the chain.</param>
/// <param name="Multipliers">λ and γ.</param>
public sealed record PlannedPoint(int Index, int Chain, int Position, Multipliers Multipliers);
