using System.Globalization;
using FreeEnergy.Core.Identities;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;

namespace FreeEnergy.Core.Surface;

/// <summary>
/// One point of an equilibrium surface as plain numbers: the multipliers (λ, γ) and the functionals
/// R, D, C (nats per example) measured at equilibrium there. The free energy is F = R + λ·D + γ·C.
/// This is what <see cref="IdentityCheck"/> works on; it does not care whether the point came from the
/// exact oracle or a trained network.
/// </summary>
public sealed record SurfacePoint
{
    /// <summary>Creates a validated point from plain numbers (accuracy and count unknown: 0).</summary>
    /// <param name="lambda">λ, finite and &gt; 0.</param>
    /// <param name="gamma">γ, finite and ≥ 0.</param>
    /// <param name="rate">R in nats, finite.</param>
    /// <param name="distortion">D in nats, finite.</param>
    /// <param name="classification">C in nats, finite.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range or not finite.</exception>
    public SurfacePoint(double lambda, double gamma, double rate, double distortion, double classification)
        : this(new Multipliers(lambda, gamma), Finite(rate, distortion, classification))
    {
    }

    /// <summary>Creates a validated point from the shared value types.</summary>
    /// <param name="multipliers">(λ, γ); not <c>default</c> (λ = 0).</param>
    /// <param name="functionals">R, D, C (finite), with the accuracy and count they were measured with.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="multipliers"/> is <c>default</c>, or a functional is not finite.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="functionals"/> is null.</exception>
    public SurfacePoint(Multipliers multipliers, Functionals functionals)
    {
        Guard.Valid(multipliers);
        ArgumentNullException.ThrowIfNull(functionals);
        Finite(functionals.Rate, functionals.Distortion, functionals.Classification);
        Multipliers = multipliers;
        Functionals = functionals;
    }

    /// <summary>(λ, γ).</summary>
    public Multipliers Multipliers { get; }

    /// <summary>R, D, C (and accuracy and count, 0 when the point was made from plain numbers).</summary>
    public Functionals Functionals { get; }

    /// <summary>λ, the multiplier of the distortion.</summary>
    public double Lambda => Multipliers.Lambda;

    /// <summary>γ, the multiplier of the classification loss.</summary>
    public double Gamma => Multipliers.Gamma;

    /// <summary>R in nats.</summary>
    public double Rate => Functionals.Rate;

    /// <summary>D in nats.</summary>
    public double Distortion => Functionals.Distortion;

    /// <summary>C in nats.</summary>
    public double Classification => Functionals.Classification;

    /// <summary>J = R + λ·D + γ·C in nats (<see cref="Functionals.Objective"/>): the free energy F(λ, γ) when the point is at equilibrium.</summary>
    public double FreeEnergy => Functionals.Objective(Multipliers);

    /// <summary>The objective J = R + λ'·D + γ'·C of this point's functionals at other multipliers (λ', γ').</summary>
    /// <param name="lambda">λ'.</param>
    /// <param name="gamma">γ'.</param>
    /// <returns>J in nats.</returns>
    public double Objective(double lambda, double gamma) => Rate + (lambda * Distortion) + (gamma * Classification);

    /// <inheritdoc />
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"(λ = {Lambda:G6}, γ = {Gamma:G6}: R = {Rate:G10}, D = {Distortion:G10}, C = {Classification:G10}, F = {FreeEnergy:G12})");

    private static Functionals Finite(double rate, double distortion, double classification)
    {
        RequireFinite(rate, nameof(rate));
        RequireFinite(distortion, nameof(distortion));
        RequireFinite(classification, nameof(classification));
        return new Functionals(rate, distortion, classification, 0, 0);
    }

    private static void RequireFinite(double value, string name) => Guard.Finite(value, name, name);
}
