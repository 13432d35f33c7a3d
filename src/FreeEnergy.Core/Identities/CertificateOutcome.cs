namespace FreeEnergy.Core.Identities;

/// <summary>The overall result of an <see cref="EquilibriumCertificate"/>.</summary>
public enum CertificateOutcome
{
    /// <summary>At least one inequality was checked and none is violated beyond its uncertainty.</summary>
    Passed,

    /// <summary>At least one inequality is violated beyond its uncertainty.</summary>
    Failed,

    /// <summary>No inequality applies (fewer than two valid points, or no two on a grid line and no γ = 0 point).</summary>
    NotApplicable,
}
