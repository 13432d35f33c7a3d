using System.Globalization;
using FreeEnergy.Core.Internal;

namespace FreeEnergy.Core.Derivatives;

/// <summary>
/// The first derivatives of the functionals along the equilibrium surface at one (λ, γ):
/// D_λ = ∂D/∂λ, D_γ = ∂D/∂γ, C_λ = ∂C/∂λ, C_γ = ∂C/∂γ (nats per unit multiplier). They are the entries of the
/// Hessian of F, [[D_λ, D_γ], [C_λ, C_γ]]; every derivative estimator returns this record. The optional
/// uncertainties are one standard error each, for estimators that have one.
/// </summary>
public sealed record SurfaceDerivatives
{
    private readonly double? _dLambdaUncertainty;
    private readonly double? _dGammaUncertainty;
    private readonly double? _cLambdaUncertainty;
    private readonly double? _cGammaUncertainty;

    /// <summary>Creates validated derivatives.</summary>
    /// <param name="dLambda">∂D/∂λ, finite.</param>
    /// <param name="dGamma">∂D/∂γ, finite.</param>
    /// <param name="cLambda">∂C/∂λ, finite.</param>
    /// <param name="cGamma">∂C/∂γ, finite.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is not finite.</exception>
    public SurfaceDerivatives(double dLambda, double dGamma, double cLambda, double cGamma)
    {
        DLambda = RequireFinite(dLambda, nameof(dLambda));
        DGamma = RequireFinite(dGamma, nameof(dGamma));
        CLambda = RequireFinite(cLambda, nameof(cLambda));
        CGamma = RequireFinite(cGamma, nameof(cGamma));
    }

    /// <summary>∂D/∂λ = ∂²F/∂λ².</summary>
    public double DLambda { get; }

    /// <summary>∂D/∂γ = ∂²F/∂γ∂λ.</summary>
    public double DGamma { get; }

    /// <summary>∂C/∂λ = ∂²F/∂λ∂γ.</summary>
    public double CLambda { get; }

    /// <summary>∂C/∂γ = ∂²F/∂γ².</summary>
    public double CGamma { get; }

    /// <summary>One standard error of <see cref="DLambda"/>, or null when the estimator has none; finite and ≥ 0.</summary>
    public double? DLambdaUncertainty
    {
        get => _dLambdaUncertainty;
        init => _dLambdaUncertainty = RequireUncertainty(value, nameof(DLambdaUncertainty));
    }

    /// <summary>One standard error of <see cref="DGamma"/>, or null; finite and ≥ 0.</summary>
    public double? DGammaUncertainty
    {
        get => _dGammaUncertainty;
        init => _dGammaUncertainty = RequireUncertainty(value, nameof(DGammaUncertainty));
    }

    /// <summary>One standard error of <see cref="CLambda"/>, or null; finite and ≥ 0.</summary>
    public double? CLambdaUncertainty
    {
        get => _cLambdaUncertainty;
        init => _cLambdaUncertainty = RequireUncertainty(value, nameof(CLambdaUncertainty));
    }

    /// <summary>One standard error of <see cref="CGamma"/>, or null; finite and ≥ 0.</summary>
    public double? CGammaUncertainty
    {
        get => _cGammaUncertainty;
        init => _cGammaUncertainty = RequireUncertainty(value, nameof(CGammaUncertainty));
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"(D_λ = {DLambda:G6}, D_γ = {DGamma:G6}, C_λ = {CLambda:G6}, C_γ = {CGamma:G6})");

    private static double RequireFinite(double value, string name) => Guard.Finite(value, name, name);

    private static double? RequireUncertainty(double? value, string name) => value is double v ? Guard.NonNegative(v, name, paramName: name) : null;
}
