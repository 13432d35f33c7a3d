using System.Globalization;
using FreeEnergy.Core.Derivatives;
using MathNet.Numerics.LinearAlgebra;

namespace FreeEnergy.Core.Internal;

/// <summary>
/// Damped conjugate gradient for (A + δI)·x = b on plain arrays, starting at x = 0, for a symmetric A given only
/// through its products A·p (for <see cref="ImplicitDerivativeEstimator"/>, A is a Hessian and A·p a
/// Hessian-vector product). It keeps CG's coefficients, whose Lanczos tridiagonal matrix gives Ritz estimates of
/// A's extreme eigenvalues, and stops at the first direction p with pᵀ(A + δI)p ≤ 0 (not positive definite).
/// </summary>
internal sealed class DampedConjugateGradient
{
    /// <summary>Creates a solver with a stopping rule.</summary>
    /// <param name="tolerance">The relative residual ‖b − (A + δI)x‖ / ‖b‖ at which a solve stops, in (0, 1).</param>
    /// <param name="maxIterations">The largest number of products A·p per solve, ≥ 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range.</exception>
    public DampedConjugateGradient(double tolerance, int maxIterations)
    {
        if (!(tolerance > 0 && tolerance < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, string.Create(CultureInfo.InvariantCulture, $"The CG tolerance must be in (0, 1); got {tolerance:R}."));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxIterations, 1);
        Tolerance = tolerance;
        MaxIterations = maxIterations;
    }

    /// <summary>The relative residual at which a solve stops.</summary>
    public double Tolerance { get; }

    /// <summary>The largest number of products per solve.</summary>
    public int MaxIterations { get; }

    /// <summary>Solves (A + δI)·x = b from x = 0.</summary>
    /// <param name="multiply">Returns A·p for a vector p of b's length (a new array, same length; p must not be modified).</param>
    /// <param name="b">The right-hand side, finite.</param>
    /// <param name="damping">δ, finite and ≥ 0.</param>
    /// <param name="nonFiniteAdvice">Appended to the error when a product is not finite: what that means for the caller's A.</param>
    /// <param name="cancellationToken">Checked before every product.</param>
    /// <returns>How the solve ended and the last iterate (the one before a non-positive direction).</returns>
    /// <exception cref="ArgumentException">b is empty or not finite, δ is out of range, or a product has the wrong length.</exception>
    /// <exception cref="InvalidOperationException">pᵀ(A + δI)p was not finite.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public (ConjugateGradientReport Report, double[] Solution) Solve(
        Func<double[], double[]> multiply,
        double[] b,
        double damping,
        string nonFiniteAdvice,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(multiply);
        RequireValid(b, damping);
        var x = new double[b.Length];
        double bNorm = Norm(b);
        if (bNorm == 0)
        {
            return (new ConjugateGradientReport(0, 0, true, false, double.NaN, double.NaN), x);
        }

        var run = Iterate(multiply, b, damping, nonFiniteAdvice, x, cancellationToken);
        var (smallest, largest) = RitzRange(run.Alphas, run.Betas);
        if (run.Negative)
        {
            smallest = Math.Min(double.IsNaN(smallest) ? double.PositiveInfinity : smallest, run.NegativeRayleigh);
            largest = double.IsNaN(largest) ? run.NegativeRayleigh : largest;
        }

        return (new ConjugateGradientReport(run.Iterations, Math.Sqrt(run.ResidualSquared) / bNorm, run.Converged, run.Negative, smallest - damping, largest - damping), x);
    }

    /// <summary>The CG iterations from x = 0 (updated in place), with CG's coefficients for the Lanczos matrix.</summary>
    private Run Iterate(Func<double[], double[]> multiply, double[] b, double damping, string nonFiniteAdvice, double[] x, CancellationToken cancellationToken)
    {
        int n = b.Length;
        double bNorm = Norm(b);
        double[] r = (double[])b.Clone();
        double[] p = (double[])b.Clone();
        var run = new Run { ResidualSquared = Dot(r, r) };
        while (run.Iterations < MaxIterations)
        {
            cancellationToken.ThrowIfCancellationRequested();
            double[] ap = DampedProduct(multiply, p, damping);
            run.Iterations++;
            double pap = Dot(p, ap);
            if (!double.IsFinite(pap))
            {
                throw NotFinite(pap, run.Iterations, nonFiniteAdvice);
            }

            if (pap <= 0)
            {
                run.Negative = true;
                run.NegativeRayleigh = pap / Dot(p, p);
                break;
            }

            double alpha = run.ResidualSquared / pap;
            Step(x, r, p, ap, alpha);
            run.Alphas.Add(alpha);
            double rsNew = Dot(r, r);
            if (Math.Sqrt(rsNew) <= Tolerance * bNorm)
            {
                run.Converged = true;
                run.ResidualSquared = rsNew;
                break;
            }

            double beta = rsNew / run.ResidualSquared;
            run.Betas.Add(beta);
            for (int i = 0; i < n; i++)
            {
                p[i] = r[i] + (beta * p[i]);
            }

            run.ResidualSquared = rsNew;
        }

        return run;
    }

    /// <summary>x += α·p and r −= α·(A + δI)p.</summary>
    private static void Step(double[] x, double[] r, double[] p, double[] ap, double alpha)
    {
        for (int i = 0; i < x.Length; i++)
        {
            x[i] += alpha * p[i];
            r[i] -= alpha * ap[i];
        }
    }

    private static InvalidOperationException NotFinite(double pap, int iteration, string advice) =>
        new(string.Create(CultureInfo.InvariantCulture, $"A product was not finite (pᵀ(A + δI)p = {pap:R}) at CG iteration {iteration}; {advice}"));

    /// <exception cref="ArgumentException">b is empty or not finite, or δ is out of range.</exception>
    private static void RequireValid(double[] b, double damping)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (b.Length == 0 || !b.All(double.IsFinite))
        {
            throw new ArgumentException(b.Length == 0 ? "The right-hand side b is empty." : "The right-hand side b has a NaN or infinite entry.", nameof(b));
        }

        Guard.NonNegative(damping, "The damping");
    }

    /// <summary>(A + δI)·p as a new array.</summary>
    /// <exception cref="ArgumentException">The product has the wrong length.</exception>
    public static double[] DampedProduct(Func<double[], double[]> multiply, double[] p, double damping)
    {
        double[] ap = multiply(p);
        if (ap is null || ap.Length != p.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The product A·p must have the length of p ({p.Length}); got {(ap is null ? "null" : ap.Length.ToString(CultureInfo.InvariantCulture))}."), nameof(multiply));
        }

        for (int i = 0; i < ap.Length; i++)
        {
            ap[i] += damping * p[i];
        }

        return ap;
    }

    /// <summary>aᵀb.</summary>
    public static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>‖a‖.</summary>
    public static double Norm(double[] a) => Math.Sqrt(Dot(a, a));

    /// <summary>Extreme eigenvalues of the Lanczos tridiagonal matrix that CG's coefficients define.</summary>
    private static (double Smallest, double Largest) RitzRange(List<double> alphas, List<double> betas)
    {
        int k = alphas.Count;
        if (k == 0)
        {
            return (double.NaN, double.NaN);
        }

        var t = Matrix<double>.Build.Dense(k, k);
        for (int j = 0; j < k; j++)
        {
            t[j, j] = (1 / alphas[j]) + (j > 0 ? betas[j - 1] / alphas[j - 1] : 0);
            if (j + 1 < k)
            {
                double off = Math.Sqrt(betas[j]) / alphas[j];
                t[j, j + 1] = off;
                t[j + 1, j] = off;
            }
        }

        var values = t.Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).ToArray();
        return (values.Min(), values.Max());
    }

    /// <summary>How the iterations went: counts, flags, the last ‖r‖² and CG's coefficients.</summary>
    private sealed class Run
    {
        public int Iterations { get; set; }

        public bool Converged { get; set; }

        public bool Negative { get; set; }

        public double NegativeRayleigh { get; set; } = double.PositiveInfinity;

        public double ResidualSquared { get; set; }

        public List<double> Alphas { get; } = [];

        public List<double> Betas { get; } = [];
    }
}
