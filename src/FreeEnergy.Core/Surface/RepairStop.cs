namespace FreeEnergy.Core.Surface;

/// <summary>Why <see cref="SurfaceSweep.Repair"/> stopped.</summary>
public enum RepairStop
{
    /// <summary>No point fails the certificate (it passed, or nothing was applicable).</summary>
    NoFailedPoints,

    /// <summary>The budget's rounds are spent.</summary>
    RoundsSpent,

    /// <summary>The budget's re-relaxations are spent.</summary>
    PointsSpent,

    /// <summary>A round kept no re-relaxation (none lowered F), so another would repeat it.</summary>
    NoProgress,
}
