using System.Text.Json.Serialization;

namespace FreeEnergy.Core.Models;

/// <summary>
/// The functionals of a model on a dataset (means per example, nats) together with the sample covariance
/// over the examples of the per-example terms r = KL(e(·|x) ‖ m), d̄ and c̄ (d̄, c̄: the averages over the
/// model's K samples of −log d(x|z) and −log c(y|z)). From them the standard error of any linear
/// combination a·R + b·D + c·C of the means follows, for example of J = R + λD + γC.
/// </summary>
/// <param name="Rate">R, the mean of r, in nats.</param>
/// <param name="Distortion">D, the mean of d̄, in nats.</param>
/// <param name="Classification">C, the mean of c̄, in nats.</param>
/// <param name="Accuracy">Fraction of (input, sample) pairs classified correctly.</param>
/// <param name="Count">Examples n (≥ 2 for a covariance).</param>
/// <param name="RateVariance">Var(r) over the examples (divisor n − 1), nats².</param>
/// <param name="DistortionVariance">Var(d̄), nats².</param>
/// <param name="ClassificationVariance">Var(c̄), nats².</param>
/// <param name="RateDistortionCovariance">Cov(r, d̄), nats².</param>
/// <param name="RateClassificationCovariance">Cov(r, c̄), nats².</param>
/// <param name="DistortionClassificationCovariance">Cov(d̄, c̄), nats².</param>
public sealed record FunctionalStatistics(
    double Rate,
    double Distortion,
    double Classification,
    double Accuracy,
    long Count,
    double RateVariance,
    double DistortionVariance,
    double ClassificationVariance,
    double RateDistortionCovariance,
    double RateClassificationCovariance,
    double DistortionClassificationCovariance)
{
    /// <summary>The means as <see cref="Models.Functionals"/>.</summary>
    [JsonIgnore]
    public Functionals Functionals => new(Rate, Distortion, Classification, Accuracy, Count);

    /// <summary>Whether every number is finite and the count positive.</summary>
    [JsonIgnore]
    public bool IsFinite =>
        Count > 0 && double.IsFinite(Rate) && double.IsFinite(Distortion) && double.IsFinite(Classification) && double.IsFinite(Accuracy)
        && double.IsFinite(RateVariance) && double.IsFinite(DistortionVariance) && double.IsFinite(ClassificationVariance)
        && double.IsFinite(RateDistortionCovariance) && double.IsFinite(RateClassificationCovariance) && double.IsFinite(DistortionClassificationCovariance);

    /// <summary>
    /// The standard error, in nats, of the mean of a·r + b·d̄ + c·c̄ over the examples:
    /// √(wᵀΣw / n) with w = (a, b, c) and Σ the covariance above.
    /// </summary>
    /// <param name="rateWeight">a.</param>
    /// <param name="distortionWeight">b.</param>
    /// <param name="classificationWeight">c.</param>
    public double StandardError(double rateWeight, double distortionWeight, double classificationWeight)
    {
        double variance =
            (rateWeight * rateWeight * RateVariance)
            + (distortionWeight * distortionWeight * DistortionVariance)
            + (classificationWeight * classificationWeight * ClassificationVariance)
            + (2 * rateWeight * distortionWeight * RateDistortionCovariance)
            + (2 * rateWeight * classificationWeight * RateClassificationCovariance)
            + (2 * distortionWeight * classificationWeight * DistortionClassificationCovariance);
        return Count > 0 ? Math.Sqrt(Math.Max(variance, 0) / Count) : double.NaN;
    }

    /// <summary>The standard error of J = R + λD + γC at <paramref name="multipliers"/>, in nats.</summary>
    public double StandardError(Multipliers multipliers) => StandardError(1, multipliers.Lambda, multipliers.Gamma);
}
