using System.Text.Json.Serialization;

namespace FreeEnergy.Core.Models;

/// <summary>
/// The functionals of a model on a dataset, each an average per example in nats:
/// rate R = E_x KL(e(z|x) ‖ m(z)), distortion D = −E log d(x|z), classification loss C = −E log c(y|z),
/// with D and C averaged over the model's K samples of z per input.
/// </summary>
/// <param name="Rate">R in nats per example.</param>
/// <param name="Distortion">D in nats per example (a true negative log-likelihood, normalising constants included).</param>
/// <param name="Classification">C in nats per example.</param>
/// <param name="Accuracy">Fraction of (input, sample) pairs whose most likely class is the label, in [0, 1].</param>
/// <param name="Count">The number of examples averaged over.</param>
public sealed record Functionals(double Rate, double Distortion, double Classification, double Accuracy, long Count)
{
    /// <summary>Nats per bit, ln 2.</summary>
    public const double NatsPerBit = 0.69314718055994530942;

    /// <summary>R in bits per example.</summary>
    [JsonIgnore]
    public double RateBits => Rate / NatsPerBit;

    /// <summary>D in bits per example.</summary>
    [JsonIgnore]
    public double DistortionBits => Distortion / NatsPerBit;

    /// <summary>C in bits per example.</summary>
    [JsonIgnore]
    public double ClassificationBits => Classification / NatsPerBit;

    /// <summary>The mixture (1 − r)·<paramref name="source"/> + r·<paramref name="target"/> of every functional; the counts add.</summary>
    internal static Functionals Mixture(Functionals source, Functionals target, double r) => new(
        ((1 - r) * source.Rate) + (r * target.Rate),
        ((1 - r) * source.Distortion) + (r * target.Distortion),
        ((1 - r) * source.Classification) + (r * target.Classification),
        ((1 - r) * source.Accuracy) + (r * target.Accuracy),
        source.Count + target.Count);

    /// <summary>
    /// The objective J = R + λ·D + γ·C at these functionals, in nats per example. It is the free energy F(λ, γ)
    /// only when the model is at equilibrium (trained to the minimum of J at these multipliers).
    /// </summary>
    /// <param name="multipliers">(λ, γ), the prices of distortion and classification loss.</param>
    public double Objective(Multipliers multipliers) => Rate + (multipliers.Lambda * Distortion) + (multipliers.Gamma * Classification);

    /// <summary>The old name of <see cref="Objective"/>, kept because the docs used it: it returns J, which is F only at equilibrium.</summary>
    /// <param name="multipliers">(λ, γ), the prices of distortion and classification loss.</param>
    [Obsolete("Use Objective: this returns J = R + λD + γC, the free energy F only at equilibrium.")]
    public double FreeEnergy(Multipliers multipliers) => Objective(multipliers);
}
