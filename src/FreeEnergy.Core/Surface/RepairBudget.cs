using System.Globalization;
using FreeEnergy.Core.Identities;

namespace FreeEnergy.Core.Surface;

/// <summary>How much a <see cref="SurfaceSweep.Repair"/> may spend.</summary>
public sealed record RepairBudget
{
    /// <summary>Creates a budget.</summary>
    /// <param name="maxRounds">Rounds of certify-then-re-relax, ≥ 1.</param>
    /// <param name="maxPoints">Re-relaxations in total over all rounds, ≥ 1 (each costs at most the trainer's epoch cap).</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1.</exception>
    public RepairBudget(int maxRounds = 3, int maxPoints = 12)
    {
        if (maxRounds < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxRounds), maxRounds, string.Create(CultureInfo.InvariantCulture, $"A repair needs at least 1 round; got {maxRounds}."));
        }

        if (maxPoints < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxPoints), maxPoints, string.Create(CultureInfo.InvariantCulture, $"A repair needs at least 1 re-relaxation; got {maxPoints}."));
        }

        MaxRounds = maxRounds;
        MaxPoints = maxPoints;
    }

    /// <summary>Rounds at most.</summary>
    public int MaxRounds { get; }

    /// <summary>Re-relaxations at most, over all rounds.</summary>
    public int MaxPoints { get; }

    /// <summary>The certificate's significance rule (null: <see cref="CertificateOptions.Default"/>).</summary>
    public CertificateOptions? Options { get; init; }
}
