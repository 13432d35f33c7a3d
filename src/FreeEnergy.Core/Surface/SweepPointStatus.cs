namespace FreeEnergy.Core.Surface;

/// <summary>How a sweep point ended, as <see cref="SurfaceRecord.Status"/> records it.</summary>
public enum SweepPointStatus
{
    /// <summary>Trained to the end of its budget or convergence rule: the record holds its functionals and checkpoint.</summary>
    Finished,

    /// <summary>
    /// The training diverged (a NaN or infinite loss): the record holds the multipliers and where it diverged
    /// (<see cref="SurfaceRecord.DivergedAt"/>), no functionals and no checkpoint. A resumed sweep trains the point again.
    /// </summary>
    Diverged,
}
