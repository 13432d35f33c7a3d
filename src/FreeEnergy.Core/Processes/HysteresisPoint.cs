namespace FreeEnergy.Core.Processes;

/// <summary>
/// A forward and a reverse step at the same value of the driven multiplier: the gaps (reverse − forward) of the
/// free multiplier and of the functionals. A reversible (quasi-static) path has all gaps near zero.
/// </summary>
/// <param name="Driven">The value of the driven multiplier.</param>
/// <param name="ForwardFree">The free multiplier on the forward run.</param>
/// <param name="ReverseFree">The free multiplier on the reverse run.</param>
/// <param name="RateGap">R(reverse) − R(forward), nats.</param>
/// <param name="DistortionGap">D(reverse) − D(forward), nats.</param>
/// <param name="ClassificationGap">C(reverse) − C(forward), nats.</param>
public sealed record HysteresisPoint(double Driven, double ForwardFree, double ReverseFree, double RateGap, double DistortionGap, double ClassificationGap)
{
    /// <summary>ReverseFree − ForwardFree.</summary>
    public double FreeGap => ReverseFree - ForwardFree;
}
