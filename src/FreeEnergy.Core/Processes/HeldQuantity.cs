namespace FreeEnergy.Core.Processes;

/// <summary>The functional a quasi-static process keeps constant (theory.md §3).</summary>
public enum HeldQuantity
{
    /// <summary>Nothing is held: the multipliers follow a user schedule.</summary>
    None,

    /// <summary>The rate R (iso-rate).</summary>
    Rate,

    /// <summary>The distortion D (iso-distortion).</summary>
    Distortion,

    /// <summary>The classification loss C (iso-classification; transfer at constant C).</summary>
    Classification,
}
