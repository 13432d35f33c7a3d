namespace FreeEnergy.Core.Processes;

/// <summary>The multiplier a constrained process drives along the given path; the other one is corrected to hold the constraint.</summary>
public enum DrivenMultiplier
{
    /// <summary>λ follows the path; γ is predicted and corrected.</summary>
    Lambda,

    /// <summary>γ follows the path; λ is predicted and corrected.</summary>
    Gamma,
}
