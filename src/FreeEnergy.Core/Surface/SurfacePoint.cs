using System.Globalization;
using FreeEnergy.Core.Identities;

namespace FreeEnergy.Core.Surface;

/// <summary>
/// One point of an equilibrium surface as plain numbers: the multipliers (λ, γ) and the functionals
/// R, D, C (nats per example) measured at equilibrium there. The free energy is F = R + λ·D + γ·C.
/// This is what <see cref="IdentityCheck"/> works on; it does not care whether the point came from the
/// exact oracle or a trained network.
/// </summary>
public sealed record SurfacePoint
{
    /// <summary>Creates a validated point.</summary>
    /// <param name="lambda">λ, finite and &gt; 0.</param>
    /// <param name="gamma">γ, finite and ≥ 0.</param>
    /// <param name="rate">R in nats, finite.</param>
    /// <param name="distortion">D in nats, finite.</param>
    /// <param name="classification">C in nats, finite.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range or not finite.</exception>
    public SurfacePoint(double lambda, double gamma, double rate, double distortion, double classification)
    {
        if (!double.IsFinite(lambda) || lambda <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, string.Create(CultureInfo.InvariantCulture, $"λ must be finite and > 0; got {lambda:R}."));
        }

        if (!double.IsFinite(gamma) || gamma < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, string.Create(CultureInfo.InvariantCulture, $"γ must be finite and ≥ 0; got {gamma:R}."));
        }

        RequireFinite(rate, nameof(rate));
        RequireFinite(distortion, nameof(distortion));
        RequireFinite(classification, nameof(classification));
        Lambda = lambda;
        Gamma = gamma;
        Rate = rate;
        Distortion = distortion;
        Classification = classification;
    }

    /// <summary>λ, the multiplier of the distortion.</summary>
    public double Lambda { get; }

    /// <summary>γ, the multiplier of the classification loss.</summary>
    public double Gamma { get; }

    /// <summary>R in nats.</summary>
    public double Rate { get; }

    /// <summary>D in nats.</summary>
    public double Distortion { get; }

    /// <summary>C in nats.</summary>
    public double Classification { get; }

    /// <summary>F = R + λ·D + γ·C in nats.</summary>
    public double FreeEnergy => Rate + (Lambda * Distortion) + (Gamma * Classification);

    /// <summary>The objective J = R + λ'·D + γ'·C of this point's functionals at other multipliers (λ', γ').</summary>
    /// <param name="lambda">λ'.</param>
    /// <param name="gamma">γ'.</param>
    /// <returns>J in nats.</returns>
    public double Objective(double lambda, double gamma) => Rate + (lambda * Distortion) + (gamma * Classification);

    /// <inheritdoc />
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"(λ = {Lambda:G6}, γ = {Gamma:G6}: R = {Rate:G10}, D = {Distortion:G10}, C = {Classification:G10}, F = {FreeEnergy:G12})");

    private static void RequireFinite(double value, string name)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture, $"{name} must be finite; got {value:R}."));
        }
    }
}
