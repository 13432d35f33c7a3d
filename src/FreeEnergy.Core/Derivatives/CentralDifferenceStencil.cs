using System.Globalization;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Surface;

namespace FreeEnergy.Core.Derivatives;

/// <summary>
/// Five equilibrium points for central differences at (λ, γ): the center, (λ ∓ h_λ, γ) and (λ, γ ∓ h_γ).
/// Derivatives are (f₊ − f₋) / (x₊ − x₋), with truncation error h²/6 times the third derivative of F.
/// </summary>
public sealed record CentralDifferenceStencil
{
    /// <summary>How far the two steps of an axis may differ, relative to the step, before the stencil is rejected.</summary>
    public const double SymmetryTolerance = 1e-6;

    /// <summary>Creates a validated stencil.</summary>
    /// <param name="center">The point at (λ, γ).</param>
    /// <param name="lambdaMinus">The point at (λ − h_λ, γ).</param>
    /// <param name="lambdaPlus">The point at (λ + h_λ, γ).</param>
    /// <param name="gammaMinus">The point at (λ, γ − h_γ).</param>
    /// <param name="gammaPlus">The point at (λ, γ + h_γ).</param>
    /// <exception cref="ArgumentNullException">A point is null.</exception>
    /// <exception cref="ArgumentException">The points are not placed as described (steps of zero, different sizes on the two sides, or off-axis).</exception>
    public CentralDifferenceStencil(SurfacePoint center, SurfacePoint lambdaMinus, SurfacePoint lambdaPlus, SurfacePoint gammaMinus, SurfacePoint gammaPlus)
    {
        ArgumentNullException.ThrowIfNull(center);
        ArgumentNullException.ThrowIfNull(lambdaMinus);
        ArgumentNullException.ThrowIfNull(lambdaPlus);
        ArgumentNullException.ThrowIfNull(gammaMinus);
        ArgumentNullException.ThrowIfNull(gammaPlus);
        RequireOnAxis(lambdaMinus.Gamma, center.Gamma, nameof(lambdaMinus), "γ");
        RequireOnAxis(lambdaPlus.Gamma, center.Gamma, nameof(lambdaPlus), "γ");
        RequireOnAxis(gammaMinus.Lambda, center.Lambda, nameof(gammaMinus), "λ");
        RequireOnAxis(gammaPlus.Lambda, center.Lambda, nameof(gammaPlus), "λ");
        LambdaStep = RequireSymmetric(lambdaMinus.Lambda, center.Lambda, lambdaPlus.Lambda, nameof(lambdaPlus), "λ");
        GammaStep = RequireSymmetric(gammaMinus.Gamma, center.Gamma, gammaPlus.Gamma, nameof(gammaPlus), "γ");
        Center = center;
        LambdaMinus = lambdaMinus;
        LambdaPlus = lambdaPlus;
        GammaMinus = gammaMinus;
        GammaPlus = gammaPlus;
    }

    /// <summary>The point at (λ, γ).</summary>
    public SurfacePoint Center { get; }

    /// <summary>The point at (λ − h_λ, γ).</summary>
    public SurfacePoint LambdaMinus { get; }

    /// <summary>The point at (λ + h_λ, γ).</summary>
    public SurfacePoint LambdaPlus { get; }

    /// <summary>The point at (λ, γ − h_γ).</summary>
    public SurfacePoint GammaMinus { get; }

    /// <summary>The point at (λ, γ + h_γ).</summary>
    public SurfacePoint GammaPlus { get; }

    /// <summary>h_λ = (λ₊ − λ₋) / 2.</summary>
    public double LambdaStep { get; }

    /// <summary>h_γ = (γ₊ − γ₋) / 2.</summary>
    public double GammaStep { get; }

    /// <summary>∂F/∂λ by central difference; the envelope theorem says it equals D.</summary>
    public double FreeEnergyLambda => (LambdaPlus.FreeEnergy - LambdaMinus.FreeEnergy) / (LambdaPlus.Lambda - LambdaMinus.Lambda);

    /// <summary>∂F/∂γ by central difference; the envelope theorem says it equals C.</summary>
    public double FreeEnergyGamma => (GammaPlus.FreeEnergy - GammaMinus.FreeEnergy) / (GammaPlus.Gamma - GammaMinus.Gamma);

    /// <summary>D_λ, D_γ, C_λ, C_γ by central differences (no uncertainties).</summary>
    /// <returns>The derivatives at the center.</returns>
    public SurfaceDerivatives Derivatives()
    {
        double dl = LambdaPlus.Lambda - LambdaMinus.Lambda;
        double dg = GammaPlus.Gamma - GammaMinus.Gamma;
        return new SurfaceDerivatives(
            (LambdaPlus.Distortion - LambdaMinus.Distortion) / dl,
            (GammaPlus.Distortion - GammaMinus.Distortion) / dg,
            (LambdaPlus.Classification - LambdaMinus.Classification) / dl,
            (GammaPlus.Classification - GammaMinus.Classification) / dg);
    }

    /// <summary>
    /// Evaluates the five points by calling <paramref name="evaluate"/> in the order center, λ − h_λ, λ + h_λ,
    /// γ − h_γ, γ + h_γ (so a caller that warm-starts the neighbours from the center can rely on the center coming first).
    /// </summary>
    /// <param name="lambda">λ of the center, with λ − h_λ &gt; 0.</param>
    /// <param name="gamma">γ of the center, with γ − h_γ ≥ 0.</param>
    /// <param name="lambdaStep">h_λ &gt; 0.</param>
    /// <param name="gammaStep">h_γ &gt; 0.</param>
    /// <param name="evaluate">Returns the equilibrium point at the given (λ, γ).</param>
    /// <returns>The stencil.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="evaluate"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A step is not finite and &gt; 0, or a neighbour would leave λ &gt; 0, γ ≥ 0.</exception>
    /// <exception cref="ArgumentException"><paramref name="evaluate"/> returned a point at other multipliers than asked.</exception>
    public static CentralDifferenceStencil Evaluate(double lambda, double gamma, double lambdaStep, double gammaStep, Func<double, double, SurfacePoint> evaluate)
    {
        ArgumentNullException.ThrowIfNull(evaluate);
        Guard.Positive(lambdaStep, "h_λ");
        Guard.Positive(gammaStep, "h_γ");

        if (!(double.IsFinite(lambda) && lambda - lambdaStep > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, Invariant($"λ − h_λ must be > 0 for a central difference; got λ = {lambda:R}, h_λ = {lambdaStep:R}."));
        }

        if (!(double.IsFinite(gamma) && gamma - gammaStep >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, Invariant($"γ − h_γ must be ≥ 0 for a central difference; got γ = {gamma:R}, h_γ = {gammaStep:R}."));
        }

        SurfacePoint Call(double l, double g)
        {
            SurfacePoint p = evaluate(l, g) ?? throw new ArgumentException(Invariant($"The evaluation at (λ = {l:R}, γ = {g:R}) returned null."), nameof(evaluate));
            if (p.Lambda != l || p.Gamma != g)
            {
                throw new ArgumentException(Invariant($"The evaluation at (λ = {l:R}, γ = {g:R}) returned a point at (λ = {p.Lambda:R}, γ = {p.Gamma:R})."), nameof(evaluate));
            }

            return p;
        }

        SurfacePoint center = Call(lambda, gamma);
        SurfacePoint lambdaMinus = Call(lambda - lambdaStep, gamma);
        SurfacePoint lambdaPlus = Call(lambda + lambdaStep, gamma);
        SurfacePoint gammaMinus = Call(lambda, gamma - gammaStep);
        SurfacePoint gammaPlus = Call(lambda, gamma + gammaStep);
        return new CentralDifferenceStencil(center, lambdaMinus, lambdaPlus, gammaMinus, gammaPlus);
    }

    private static void RequireOnAxis(double value, double center, string name, string axis)
    {
        if (value != center)
        {
            throw new ArgumentException(Invariant($"{name} must have the center's {axis} = {center:R}; got {value:R}."), name);
        }
    }

    private static double RequireSymmetric(double minus, double center, double plus, string name, string axis)
    {
        double below = center - minus;
        double above = plus - center;
        if (!(below > 0 && above > 0) || Math.Abs(above - below) > SymmetryTolerance * Math.Max(above, below))
        {
            throw new ArgumentException(Invariant($"The {axis}-neighbours must lie symmetrically on both sides of the center {axis} = {center:R}; got steps {below:R} below and {above:R} above."), name);
        }

        return (plus - minus) / 2;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
