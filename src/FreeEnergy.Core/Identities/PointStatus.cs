namespace FreeEnergy.Core.Identities;

/// <summary>The verdict of an <see cref="EquilibriumCertificate"/> on one point.</summary>
public enum PointStatus
{
    /// <summary>Every inequality that bounds the point's F holds (within the numeric tolerance).</summary>
    Pass,

    /// <summary>Another point's model does better at this point's multipliers by more than the uncertainty: not at equilibrium.</summary>
    Fail,

    /// <summary>An inequality that bounds the point's F is violated, but by no more than the measured uncertainty.</summary>
    WithinUncertainty,

    /// <summary>No inequality of the certificate involves the point (for example a surface of one point).</summary>
    NotApplicable,

    /// <summary>The point's functionals are missing or not finite; it was left out of every check.</summary>
    Invalid,
}
