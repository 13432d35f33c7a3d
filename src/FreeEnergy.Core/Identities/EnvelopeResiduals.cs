namespace FreeEnergy.Core.Identities;

/// <summary>
/// The envelope identities ∂F/∂λ = D and ∂F/∂γ = C at one point (theory.md §2, fact 1), with the derivatives of
/// F estimated numerically.
/// </summary>
/// <param name="FreeEnergyLambda">∂F/∂λ, estimated (e.g. by central difference).</param>
/// <param name="FreeEnergyGamma">∂F/∂γ, estimated.</param>
/// <param name="Distortion">D at the point.</param>
/// <param name="Classification">C at the point.</param>
public sealed record EnvelopeResiduals(double FreeEnergyLambda, double FreeEnergyGamma, double Distortion, double Classification)
{
    /// <summary>∂F/∂λ − D.</summary>
    public double LambdaResidual => FreeEnergyLambda - Distortion;

    /// <summary>∂F/∂γ − C.</summary>
    public double GammaResidual => FreeEnergyGamma - Classification;

    /// <summary>The larger of |∂F/∂λ − D| and |∂F/∂γ − C|.</summary>
    public double MaxAbsResidual => Math.Max(Math.Abs(LambdaResidual), Math.Abs(GammaResidual));
}
