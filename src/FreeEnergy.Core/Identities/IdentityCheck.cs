using System.Globalization;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Derivatives;
using FreeEnergy.Core.Surface;

namespace FreeEnergy.Core.Identities;

/// <summary>
/// Numeric residuals of the thermodynamic identities of the equilibrium surface (theory.md §2): envelope,
/// Maxwell, concavity of F and convexity of R(D, C). Works on plain numbers (<see cref="SurfacePoint"/>,
/// <see cref="SurfaceDerivatives"/>), so the same checks serve the exact discrete oracle and trained networks.
/// </summary>
public static class IdentityCheck
{
    /// <summary>The envelope identities ∂F/∂λ = D and ∂F/∂γ = C at the stencil's center, by central differences of F.</summary>
    /// <param name="stencil">The five points.</param>
    /// <returns>The residuals.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stencil"/> is null.</exception>
    public static EnvelopeResiduals Envelope(CentralDifferenceStencil stencil)
    {
        ArgumentNullException.ThrowIfNull(stencil);
        return new EnvelopeResiduals(stencil.FreeEnergyLambda, stencil.FreeEnergyGamma, stencil.Center.Distortion, stencil.Center.Classification);
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
    /// Evaluates a stencil around (λ, γ) with <paramref name="evaluate"/> (center first; see
    /// <see cref="CentralDifferenceStencil.Evaluate"/>) and checks envelope, Maxwell and concavity there.
    /// </summary>
    /// <param name="lambda">λ of the center, with λ − h_λ &gt; 0.</param>
    /// <param name="gamma">γ of the center, with γ − h_γ ≥ 0.</param>
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

        Guard.NonNegative(tolerance, "The tolerance");

        RequireNoNull(points);

        return SupportingPlanes(points, tolerance);
    }

    /// <summary>
    /// The identities over the points of a (λ, γ) grid with finite differences between neighbouring grid points:
    /// the integrated envelope relations (ΔF against the trapezoid of D over Δλ, of C over Δγ), the Maxwell relation
    /// per grid cell, the signs of D_λ and C_γ between neighbours (concavity of F), and the convexity of R(D, C)
    /// over all pairs (<see cref="Convexity"/>). Points need not fill the grid: missing neighbours are skipped.
    /// </summary>
    /// <param name="points">At least two surface points, each (λ, γ) at most once (for example <see cref="EquilibriumSurface.Points"/>).</param>
    /// <param name="tolerance">Absolute slack for the sign checks (concavity, convexity), in nats; finite and ≥ 0.</param>
    /// <returns>The worst relative residuals and the counts of what was compared.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="points"/> or one of its points is null.</exception>
    /// <exception cref="ArgumentException">Fewer than two points, or two points share (λ, γ).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tolerance"/> is negative or not finite.</exception>
    public static SurfaceIdentityReport Grid(IReadOnlyList<SurfacePoint> points, double tolerance = 0)
    {
        ConvexityResidual convexity = Convexity(points, tolerance);
        var twice = points.GroupBy(p => (p.Lambda, p.Gamma)).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{twice.Count()} points share (λ, γ) = ({twice.Key.Lambda}, {twice.Key.Gamma}); a grid has one point per (λ, γ)."), nameof(points));
        }

        var grid = new PointGrid(points);
        var envelope = (Lambda: double.NaN, Gamma: double.NaN);
        double maxwell = double.NaN;
        int violations = 0, pairs = 0, cells = 0;
        for (int i = 0; i < grid.Lambdas.Length; i++)
        {
            for (int j = 0; j < grid.Gammas.Length; j++)
            {
                if (grid.At(i, j) is not { } p)
                {
                    continue;
                }

                if (grid.At(i + 1, j) is { } q)
                {
                    pairs++;
                    envelope.Lambda = WorstOf(envelope.Lambda, IntegratedEnvelope(p.FreeEnergy, q.FreeEnergy, p.Distortion, q.Distortion, q.Lambda - p.Lambda));
                    violations += q.Distortion > p.Distortion + tolerance ? 1 : 0;
                }

                if (grid.At(i, j + 1) is { } u)
                {
                    pairs++;
                    envelope.Gamma = WorstOf(envelope.Gamma, IntegratedEnvelope(p.FreeEnergy, u.FreeEnergy, p.Classification, u.Classification, u.Gamma - p.Gamma));
                    violations += u.Classification > p.Classification + tolerance ? 1 : 0;
                }

                if (grid.At(i + 1, j) is { } a && grid.At(i, j + 1) is { } b && grid.At(i + 1, j + 1) is { } c)
                {
                    cells++;
                    maxwell = WorstOf(maxwell, CellMaxwell(p, a, b, c, grid.Lambdas[i + 1] - grid.Lambdas[i], grid.Gammas[j + 1] - grid.Gammas[j]));
                }
            }
        }

        return new SurfaceIdentityReport(envelope.Lambda, envelope.Gamma, maxwell, violations, convexity, pairs, cells);
    }

    /// <summary>
    /// The equilibrium certificate of a set of points: for every ordered pair (p, q) on one grid line (same γ:
    /// <see cref="CertificateKind.ChordLambda"/>; same λ: <see cref="CertificateKind.ChordGamma"/>) and every pair
    /// of a γ = 0 point p with a γ &gt; 0 point q at another λ (<see cref="CertificateKind.Envelope"/>), the
    /// inequality F_p ≤ J_q(λ_p, γ_p) = R_q + λ_p·D_q + γ_p·C_q; and for every pair on a grid line the monotonicity
    /// of D in λ and of C in γ. Every pair is checked, not only neighbours. Points that are not on a common grid
    /// line simply admit fewer kinds; a kind no pair admits is reported in
    /// <see cref="EquilibriumCertificate.NotApplicable"/>. Invalid points (NaN or infinite functionals) are
    /// left out and reported as <see cref="PointStatus.Invalid"/>; with fewer than two valid points the outcome is
    /// <see cref="CertificateOutcome.NotApplicable"/>.
    /// </summary>
    /// <param name="points">The points; indices must be distinct.</param>
    /// <param name="data">Which functionals these are (for the report).</param>
    /// <param name="options">The significance rule, or null for <see cref="CertificateOptions.Default"/>.</param>
    /// <returns>The inequalities, their violations and a verdict per point.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="points"/> or one of its points is null.</exception>
    /// <exception cref="ArgumentException">Two points share an index, or two valid points share (λ, γ).</exception>
    public static EquilibriumCertificate Certify(IReadOnlyList<CertificatePoint> points, CertificateData data = CertificateData.Evaluation, CertificateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(points);
        options ??= CertificateOptions.Default;
        RequireNoNull(points);

        var repeated = points.GroupBy(p => p.Index).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Point index {repeated.Key} appears {repeated.Count()} times."), nameof(points));
        }

        var valid = points.Where(p => p.IsValid).ToList();
        var twice = valid.GroupBy(p => (p.Lambda, p.Gamma)).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Points {string.Join(", ", twice.Select(p => p.Index))} share (λ, γ) = ({twice.Key.Lambda}, {twice.Key.Gamma})."), nameof(points));
        }

        var inequalities = Inequalities(valid, options);
        var verdicts = points.Select(p => Verdict(p, inequalities)).ToList();
        return new EquilibriumCertificate(data, options, inequalities, verdicts);
    }

    /// <summary>The supporting-plane violation R_i − λ_i·(D_j − D_i) − γ_i·(C_j − C_i) − R_j of every ordered pair, the worst and how many exceed the tolerance.</summary>
    private static ConvexityResidual SupportingPlanes(IReadOnlyList<SurfacePoint> points, double tolerance)
    {
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

    /// <summary>Every chord, envelope and monotonicity inequality between the valid points.</summary>
    private static List<CertificateInequality> Inequalities(List<CertificatePoint> valid, CertificateOptions options)
    {
        var inequalities = new List<CertificateInequality>();
        foreach (var p in valid)
        {
            foreach (var q in valid)
            {
                if (ReferenceEquals(p, q))
                {
                    continue;
                }

                CertificateKind? kind =
                    p.Gamma == q.Gamma ? CertificateKind.ChordLambda
                    : p.Lambda == q.Lambda ? CertificateKind.ChordGamma
                    : p.Gamma == 0 ? CertificateKind.Envelope
                    : null;
                if (kind is CertificateKind k)
                {
                    inequalities.Add(Bound(k, p, q, options));
                }

                // Monotonicity once per pair on a line, from the smaller multiplier a = q to the larger b = p.
                if (p.Gamma == q.Gamma && q.Lambda < p.Lambda)
                {
                    inequalities.Add(Monotone(CertificateKind.DistortionMonotone, q, p, p.Lambda - q.Lambda, options));
                }
                else if (p.Lambda == q.Lambda && q.Gamma < p.Gamma)
                {
                    inequalities.Add(Monotone(CertificateKind.ClassificationMonotone, q, p, p.Gamma - q.Gamma, options));
                }
            }
        }

        return inequalities;
    }

    /// <exception cref="ArgumentNullException"><paramref name="points"/> or one of its points is null.</exception>
    private static void RequireNoNull<T>(IReadOnlyList<T> points)
        where T : class
    {
        for (int k = 0; k < points.Count; k++)
        {
            if (points[k] is null)
            {
                throw new ArgumentNullException(nameof(points), string.Create(CultureInfo.InvariantCulture, $"points[{k}] is null."));
            }
        }
    }

    /// <summary>F_p ≤ J_q(λ_p, γ_p), blamed on p.</summary>
    private static CertificateInequality Bound(CertificateKind kind, CertificatePoint p, CertificatePoint q, CertificateOptions options)
    {
        double fp = p.FreeEnergy;
        double size = fp - q.Objective(p.Lambda, p.Gamma);
        bool paired = Paired(p, q);
        double? se = paired ? p.Terms!.PairedStandardError(q.Terms!, 1, p.Lambda, p.Gamma)
            : p.Statistics is { } sp && q.Statistics is { } sq ? Hypot(sp.StandardError(1, p.Lambda, p.Gamma), sq.StandardError(1, p.Lambda, p.Gamma))
            : null;
        double? drift = p.Window is { } wp && q.Window is { } wq
            ? wp.Drift(p.Lambda, p.Gamma, own: true) + wq.Drift(p.Lambda, p.Gamma, own: false)
            : null;
        return Inequality(kind, p.Index, q.Index, size, Math.Abs(fp), se, paired, drift, options);
    }

    /// <summary>D (or C) of b ≤ that of a, with a the smaller multiplier; size in nats of F (times the step).</summary>
    private static CertificateInequality Monotone(CertificateKind kind, CertificatePoint a, CertificatePoint b, double step, CertificateOptions options)
    {
        bool distortion = kind == CertificateKind.DistortionMonotone;
        double size = step * (distortion ? b.Distortion - a.Distortion : b.Classification - a.Classification);
        bool paired = Paired(b, a);
        double? se = paired ? step * b.Terms!.PairedStandardError(a.Terms!, 0, distortion ? 1 : 0, distortion ? 0 : 1)
            : a.Statistics is { } sa && b.Statistics is { } sb ? step * (distortion ? Hypot(sa.StandardError(0, 1, 0), sb.StandardError(0, 1, 0)) : Hypot(sa.StandardError(0, 0, 1), sb.StandardError(0, 0, 1)))
            : null;
        double? drift = a.Window is { } wa && b.Window is { } wb
            ? step * (distortion ? wa.DistortionDrift + wb.DistortionDrift : wa.ClassificationDrift + wb.ClassificationDrift)
            : null;
        return Inequality(kind, b.Index, a.Index, size, Math.Max(Math.Abs(a.FreeEnergy), Math.Abs(b.FreeEnergy)), se, paired, drift, options);
    }

    private static CertificateInequality Inequality(CertificateKind kind, int point, int partner, double size, double scale, double? se, bool paired, double? drift, CertificateOptions options)
    {
        double tolerance = options.RelativeTolerance * Math.Max(1, scale);
        bool significant = size > (options.Sigmas * (se ?? 0)) + (options.IncludeDrift ? drift ?? 0 : 0) + tolerance;
        return new CertificateInequality(kind, point, partner, size, scale > 0 ? size / scale : double.PositiveInfinity, se, paired, drift, tolerance, significant);
    }

    /// <summary>Whether both points carry per-example terms of the same examples (a paired standard error).</summary>
    private static bool Paired(CertificatePoint p, CertificatePoint q) =>
        p.Terms is { } a && q.Terms is { } b && a.Count == b.Count && a.Count >= 2;

    private static PointVerdict Verdict(CertificatePoint point, List<CertificateInequality> inequalities)
    {
        if (point.InvalidReason is string reason)
        {
            return new PointVerdict(point.Index, point.Lambda, point.Gamma, PointStatus.Invalid, 0, 0, 0, reason);
        }

        int involved = inequalities.Count(i => i.Point == point.Index || i.Partner == point.Index);
        var blamed = inequalities.Where(i => i.Blames && i.Point == point.Index && i.Violated).ToList();
        var status = involved == 0 ? PointStatus.NotApplicable
            : blamed.Any(i => i.Significant) ? PointStatus.Fail
            : blamed.Count > 0 ? PointStatus.WithinUncertainty
            : PointStatus.Pass;
        double worst = blamed.Select(i => i.Size).DefaultIfEmpty(0).Max();
        double relative = blamed.Select(i => i.RelativeSize).DefaultIfEmpty(0).Max();
        return new PointVerdict(point.Index, point.Lambda, point.Gamma, status, worst, relative, involved, null);
    }

    /// <summary>|ΔF − ½(f₁ + f₂)·Δ| / |ΔF|: the integrated envelope relation between two neighbours.</summary>
    private static double IntegratedEnvelope(double f1, double f2, double slope1, double slope2, double step)
    {
        double dF = f2 - f1;
        return Math.Abs(dF - (0.5 * (slope1 + slope2) * step)) / Math.Abs(dF);
    }

    /// <summary>|ΔD/Δγ − ΔC/Δλ| / max(|ΔD/Δγ|, |ΔC/Δλ|) over the cell p = (i, j), a = (i + 1, j), b = (i, j + 1), c = (i + 1, j + 1), each difference averaged over the cell's two edges.</summary>
    private static double CellMaxwell(SurfacePoint p, SurfacePoint a, SurfacePoint b, SurfacePoint c, double dLambda, double dGamma)
    {
        double dDdGamma = 0.5 * ((b.Distortion - p.Distortion) + (c.Distortion - a.Distortion)) / dGamma;
        double dCdLambda = 0.5 * ((a.Classification - p.Classification) + (c.Classification - b.Classification)) / dLambda;
        return Math.Abs(dDdGamma - dCdLambda) / Math.Max(Math.Max(Math.Abs(dDdGamma), Math.Abs(dCdLambda)), 1e-300);
    }

    /// <summary>The larger of the two, where NaN means "nothing compared yet".</summary>
    private static double WorstOf(double worst, double value) => double.IsNaN(worst) ? value : Math.Max(worst, value);

    private static double Hypot(double a, double b) => Math.Sqrt((a * a) + (b * b));

    /// <summary>The points by their position on the grid of their distinct λ and γ values.</summary>
    private sealed class PointGrid(IReadOnlyList<SurfacePoint> points)
    {
        private readonly Dictionary<(double, double), SurfacePoint> byMultipliers = points.ToDictionary(p => (p.Lambda, p.Gamma));

        public double[] Lambdas { get; } = [.. points.Select(p => p.Lambda).Distinct().Order()];

        public double[] Gammas { get; } = [.. points.Select(p => p.Gamma).Distinct().Order()];

        /// <summary>The point at (λ_i, γ_j), or null when the grid has no point there (or i, j are past its end).</summary>
        public SurfacePoint? At(int i, int j) =>
            i < Lambdas.Length && j < Gammas.Length && byMultipliers.TryGetValue((Lambdas[i], Gammas[j]), out var p) ? p : null;
    }
}
