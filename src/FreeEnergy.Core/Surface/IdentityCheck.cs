using System.Globalization;

namespace FreeEnergy.Core.Surface;

/// <summary>
/// Numeric residuals of the thermodynamic identities of the equilibrium surface (theory.md §2): envelope,
/// Maxwell, concavity of F and convexity of R(D, C). Works on plain numbers (<see cref="SurfacePoint"/>,
/// <see cref="SurfaceDerivatives"/>), so the same checks serve the exact discrete oracle and trained networks.
/// </summary>
public static class IdentityCheck
{
    /// <summary>The envelope identities ∂F/∂λ = D and ∂F/∂γ = C at the stencil's centre, by central differences of F.</summary>
    /// <param name="stencil">The five points.</param>
    /// <returns>The residuals.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stencil"/> is null.</exception>
    public static EnvelopeResiduals Envelope(CentralDifferenceStencil stencil)
    {
        ArgumentNullException.ThrowIfNull(stencil);
        return new EnvelopeResiduals(stencil.FreeEnergyLambda, stencil.FreeEnergyGamma, stencil.Centre.Distortion, stencil.Centre.Classification);
    }

    /// <summary>The Maxwell relation D_γ = C_λ.</summary>
    /// <param name="derivatives">The derivatives at one point, from any estimator.</param>
    /// <returns>The residual, with an uncertainty when both D_γ and C_λ carry one.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="derivatives"/> is null.</exception>
    public static MaxwellResidual Maxwell(SurfaceDerivatives derivatives)
    {
        ArgumentNullException.ThrowIfNull(derivatives);
        double? uncertainty = derivatives.DGammaUncertainty is double a && derivatives.CLambdaUncertainty is double b
            ? Math.Sqrt((a * a) + (b * b))
            : null;
        return new MaxwellResidual(derivatives.DGamma, derivatives.CLambda, uncertainty);
    }

    /// <summary>Concavity of F: the Hessian [[D_λ, D_γ], [C_λ, C_γ]] negative semidefinite.</summary>
    /// <param name="derivatives">The derivatives at one point, from any estimator.</param>
    /// <returns>The eigenvalues, determinant and violation.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="derivatives"/> is null.</exception>
    public static ConcavityResidual Concavity(SurfaceDerivatives derivatives)
    {
        ArgumentNullException.ThrowIfNull(derivatives);
        return new ConcavityResidual(derivatives.DLambda, derivatives.DGamma, derivatives.CLambda, derivatives.CGamma);
    }

    /// <summary>Envelope, Maxwell and concavity from one stencil.</summary>
    /// <param name="stencil">The five points.</param>
    /// <returns>All local residuals.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stencil"/> is null.</exception>
    public static IdentityResiduals Check(CentralDifferenceStencil stencil)
    {
        ArgumentNullException.ThrowIfNull(stencil);
        SurfaceDerivatives derivatives = stencil.Derivatives();
        return new IdentityResiduals(stencil, derivatives, Envelope(stencil), Maxwell(derivatives), Concavity(derivatives));
    }

    /// <summary>
    /// Evaluates a stencil around (λ, γ) with <paramref name="evaluate"/> (centre first; see
    /// <see cref="CentralDifferenceStencil.Evaluate"/>) and checks envelope, Maxwell and concavity there.
    /// </summary>
    /// <param name="lambda">λ of the centre, with λ − h_λ &gt; 0.</param>
    /// <param name="gamma">γ of the centre, with γ − h_γ ≥ 0.</param>
    /// <param name="lambdaStep">h_λ &gt; 0.</param>
    /// <param name="gammaStep">h_γ &gt; 0.</param>
    /// <param name="evaluate">Returns the equilibrium point at the given (λ, γ).</param>
    /// <returns>All local residuals.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="evaluate"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A step or multiplier is out of range.</exception>
    public static IdentityResiduals AtPoint(double lambda, double gamma, double lambdaStep, double gammaStep, Func<double, double, SurfacePoint> evaluate) =>
        Check(CentralDifferenceStencil.Evaluate(lambda, gamma, lambdaStep, gammaStep, evaluate));

    /// <summary>
    /// Convexity of R(D, C) over a set of points through the supporting-plane inequality
    /// R_j ≥ R_i − λ_i·(D_j − D_i) − γ_i·(C_j − C_i) for every ordered pair i ≠ j (O(n²) pairs).
    /// </summary>
    /// <param name="points">At least two surface points.</param>
    /// <param name="tolerance">Violations up to this many nats are not counted, finite and ≥ 0.</param>
    /// <returns>The worst violation, the pair that makes it, and the number of violating pairs.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="points"/> or one of its points is null.</exception>
    /// <exception cref="ArgumentException">Fewer than two points.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tolerance"/> is negative or not finite.</exception>
    public static ConvexityResidual Convexity(IReadOnlyList<SurfacePoint> points, double tolerance = 0)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count < 2)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Convexity needs at least 2 points; got {points.Count}."), nameof(points));
        }

        if (!(double.IsFinite(tolerance) && tolerance >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, string.Create(CultureInfo.InvariantCulture, $"The tolerance must be finite and ≥ 0; got {tolerance:R}."));
        }

        for (int k = 0; k < points.Count; k++)
        {
            if (points[k] is null)
            {
                throw new ArgumentNullException(nameof(points), string.Create(CultureInfo.InvariantCulture, $"points[{k}] is null."));
            }
        }

        double worst = double.NegativeInfinity;
        int worstI = -1;
        int worstJ = -1;
        int violations = 0;
        for (int i = 0; i < points.Count; i++)
        {
            SurfacePoint p = points[i];
            for (int j = 0; j < points.Count; j++)
            {
                if (i == j)
                {
                    continue;
                }

                SurfacePoint q = points[j];
                double violation = p.Rate - (p.Lambda * (q.Distortion - p.Distortion)) - (p.Gamma * (q.Classification - p.Classification)) - q.Rate;
                if (violation > tolerance)
                {
                    violations++;
                }

                if (violation > worst)
                {
                    worst = violation;
                    worstI = i;
                    worstJ = j;
                }
            }
        }

        return new ConvexityResidual(worst, worstI, worstJ, points.Count * (points.Count - 1), violations, tolerance);
    }
}
