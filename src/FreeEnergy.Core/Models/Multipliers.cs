using System.Globalization;

namespace FreeEnergy.Core.Models;

/// <summary>
/// The Lagrange multipliers of the objective J = R + λ·D + γ·C: <see cref="Lambda"/> prices distortion,
/// <see cref="Gamma"/> prices classification loss; the rate has weight 1.
/// </summary>
public readonly record struct Multipliers
{
    /// <summary>Creates validated multipliers.</summary>
    /// <param name="lambda">λ, the price of distortion; finite and &gt; 0.</param>
    /// <param name="gamma">γ, the price of classification loss; finite and ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">λ ≤ 0, γ &lt; 0, or either is not finite.</exception>
    public Multipliers(double lambda, double gamma)
    {
        if (!double.IsFinite(lambda) || lambda <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, $"λ must be finite and > 0; got {lambda.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (!double.IsFinite(gamma) || gamma < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, $"γ must be finite and ≥ 0; got {gamma.ToString(CultureInfo.InvariantCulture)}.");
        }

        Lambda = lambda;
        Gamma = gamma;
    }

    /// <summary>λ, the multiplier of the distortion D.</summary>
    public double Lambda { get; }

    /// <summary>γ, the multiplier of the classification loss C.</summary>
    public double Gamma { get; }

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"(λ = {Lambda:G6}, γ = {Gamma:G6})");
}
