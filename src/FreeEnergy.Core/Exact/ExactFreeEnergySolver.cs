using System.Globalization;

namespace FreeEnergy.Core.Exact;

/// <summary>
/// The exact oracle for discrete sources (theory.md §2): F(λ, γ) = min over tabular e(z|x), m(z), d(x|z), c(y|z)
/// of J = R + λ·D + γ·C, by block-coordinate minimisation, each block solved exactly:
/// <code>
/// e(z|x) ∝ m(z)·exp(λ·log d(x|z) + γ·Σ_y p(y|x)·log c(y|z))
/// m(z)   = Σ_x p(x) e(z|x)
/// d(x|z) = p(x) e(z|x) / m(z)
/// c(y|z) = Σ_x p(x, y) e(z|x) / m(z)
/// </code>
/// Pure managed double precision; all functionals in nats.
/// </summary>
/// <remarks>
/// <para>
/// The iteration keeps log e(z|x) and evaluates every sum over x or z relative to its largest term (log-sum-exp), so large λ and γ
/// neither overflow nor lose states to underflow; log e is clamped below at −1000 (e^−1000 is 0 in double
/// precision), which keeps unused states (m(z) = 0) finite in log space: their d and c rows stay proper
/// distributions and carry no weight.
/// </para>
/// <para>
/// Stopping rule: a sweep is one e-update followed by the m, d, c updates; the iteration stops when
/// max over (x, z) of |Δe(z|x)| in a sweep is below <see cref="ExactSolverOptions.Tolerance"/> (converged) or after
/// <see cref="ExactSolverOptions.MaxIterations"/> sweeps (not converged). It deliberately does not stop on J: J is
/// stationary at the fixed point, so it settles quadratically faster than the minimiser, and finite-difference
/// derivatives of D and C need the minimiser itself.
/// </para>
/// <para>
/// J is not jointly convex: <see cref="Solve(DiscreteSource, double, double)"/> tries
/// <see cref="ExactSolverOptions.Restarts"/> random initial encoders and keeps the lowest F;
/// <see cref="Solve(DiscreteSource, double, double, ExactSolution)"/> continues from a previous solution
/// (continuation along a path keeps one branch, which finite differences need).
/// </para>
/// <para>
/// For λ &gt; 1 the e-update sharpens the encoder (it acts like e ↦ e^λ), and a state can lose all its mass to
/// underflow while two inputs share another state: a saddle of J that the iteration cannot leave numerically.
/// After each random start converges with λ &gt; 1, the solver therefore frees a state (merging duplicates, or
/// taking a dead one), moves the main input of the most mixed state into it, iterates again and keeps the
/// result if F drops, as long as that helps. Below λ = 1 the update smooths instead, and on 56 cases tried this
/// step never changed F, so it is skipped there. Warm starts never take it: they keep their branch.
/// </para>
/// <para>Thread safety: instances hold only immutable options and may be shared.</para>
/// </remarks>
public sealed class ExactFreeEnergySolver
{
    /// <summary>log e(z|x) never goes below this; e^−1000 underflows to 0 in double precision.</summary>
    private const double LogFloor = -1000;

    /// <summary>A state whose mass m(z) is below this counts as dead for <see cref="ReviveDeadStates"/>.</summary>
    private const double DeadMass = 1e-12;

    /// <summary>A live state whose m(z)·H(x|z = z) is below this counts as pure (nothing to gain by splitting it).</summary>
    private const double MixingThreshold = 1e-12;

    /// <summary>Two states whose decoders d(·|z) differ by less than this everywhere count as duplicates.</summary>
    private const double DuplicateTolerance = 1e-6;

    /// <summary>Creates a solver.</summary>
    /// <param name="options">The settings; null for the defaults.</param>
    public ExactFreeEnergySolver(ExactSolverOptions? options = null)
    {
        Options = options ?? new ExactSolverOptions();
    }

    /// <summary>The settings.</summary>
    public ExactSolverOptions Options { get; }

    /// <summary>
    /// Minimises J at (λ, γ) from <see cref="ExactSolverOptions.Restarts"/> random initial encoders
    /// (seeded by <see cref="ExactSolverOptions.Seed"/>) and returns the solution with the lowest F.
    /// </summary>
    /// <param name="source">The joint p(x, y).</param>
    /// <param name="lambda">λ, finite and &gt; 0.</param>
    /// <param name="gamma">γ, finite and ≥ 0.</param>
    /// <returns>The best solution found.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">λ ≤ 0, γ &lt; 0, or either is not finite.</exception>
    public ExactSolution Solve(DiscreteSource source, double lambda, double gamma)
    {
        ArgumentNullException.ThrowIfNull(source);
        ValidateMultipliers(lambda, gamma);
        int nx = source.InputCount;
        int nz = Options.LatentSize ?? nx;
#pragma warning disable CA5394 // Not security-sensitive: reproducible initial encoders.
        var random = new Random(Options.Seed);
        ExactSolution? best = null;
        for (int restart = 0; restart < Options.Restarts; restart++)
        {
            // Initial encoder: rows of independent U(0, 1) weights, normalised. Strictly positive, so no state starts dead.
            var logE = new double[nx * nz];
            for (int x = 0; x < nx; x++)
            {
                double sum = 0;
                for (int z = 0; z < nz; z++)
                {
                    double w = 1e-3 + random.NextDouble();
                    logE[(x * nz) + z] = w;
                    sum += w;
                }

                for (int z = 0; z < nz; z++)
                {
                    logE[(x * nz) + z] = Math.Log(logE[(x * nz) + z] / sum);
                }
            }
#pragma warning restore CA5394

            ExactSolution candidate = Iterate(source, lambda, gamma, nz, logE);
            if (lambda > 1)
            {
                candidate = ReviveDeadStates(source, lambda, gamma, candidate);
            }

            if (best is null || candidate.FreeEnergy < best.FreeEnergy)
            {
                best = candidate;
            }
        }

        return best!;
    }

    /// <summary>
    /// Minimises J at (λ, γ) starting from the encoder of a previous solution (a warm start, for continuation
    /// along a path of multipliers or sources). No random restarts are made: the warm start selects the branch.
    /// The previous solution may belong to another source with the same |X|.
    /// </summary>
    /// <param name="source">The joint p(x, y).</param>
    /// <param name="lambda">λ, finite and &gt; 0.</param>
    /// <param name="gamma">γ, finite and ≥ 0.</param>
    /// <param name="warmStart">The solution whose encoder starts the iteration; its |X| must match the source, and its |Z| is used (overriding <see cref="ExactSolverOptions.LatentSize"/>).</param>
    /// <returns>The solution reached from the warm start.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">λ ≤ 0, γ &lt; 0, or either is not finite.</exception>
    /// <exception cref="ArgumentException">The warm start's |X| differs from the source's.</exception>
    public ExactSolution Solve(DiscreteSource source, double lambda, double gamma, ExactSolution warmStart)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(warmStart);
        ValidateMultipliers(lambda, gamma);
        if (warmStart.InputCount != source.InputCount)
        {
            throw new ArgumentException(Invariant($"The warm start's encoder must have |X| = {source.InputCount} rows to match the source; got {warmStart.InputCount}."), nameof(warmStart));
        }

        return Iterate(source, lambda, gamma, warmStart.LatentSize, warmStart.LogEncoder.ToArray());
    }

    /// <summary>
    /// Minimises J at (λ, γ) starting from a given encoder. A state to which the initial encoder gives no mass
    /// at all stays unused (e(z|x) ∝ m(z)·…); single zero entries of a used state may become positive.
    /// </summary>
    /// <param name="source">The joint p(x, y).</param>
    /// <param name="lambda">λ, finite and &gt; 0.</param>
    /// <param name="gamma">γ, finite and ≥ 0.</param>
    /// <param name="initialEncoder">e(z|x) as [x, z]: |X| rows, |Z| ≥ 1 columns (used instead of <see cref="ExactSolverOptions.LatentSize"/>), entries finite and ≥ 0, each row summing to 1 within 1e-9 (rows are renormalised).</param>
    /// <returns>The solution reached from the given encoder.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">λ ≤ 0, γ &lt; 0, or either is not finite.</exception>
    /// <exception cref="ArgumentException">The encoder's shape or entries are invalid.</exception>
    public ExactSolution SolveFrom(DiscreteSource source, double lambda, double gamma, double[,] initialEncoder)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(initialEncoder);
        ValidateMultipliers(lambda, gamma);
        int nx = initialEncoder.GetLength(0);
        int nz = initialEncoder.GetLength(1);
        if (nx != source.InputCount || nz < 1)
        {
            throw new ArgumentException(Invariant($"The initial encoder must have shape [|X| = {source.InputCount}, |Z| ≥ 1]; got [{nx}, {nz}]."), nameof(initialEncoder));
        }

        var logE = new double[nx * nz];
        for (int x = 0; x < nx; x++)
        {
            double sum = 0;
            for (int z = 0; z < nz; z++)
            {
                double v = initialEncoder[x, z];
                if (!double.IsFinite(v) || v < 0)
                {
                    throw new ArgumentException(Invariant($"Every encoder probability must be finite and ≥ 0; got {nameof(initialEncoder)}[{x}, {z}] = {v:R}."), nameof(initialEncoder));
                }

                sum += v;
            }

            if (Math.Abs(sum - 1) > DiscreteSource.SumTolerance)
            {
                throw new ArgumentException(Invariant($"Every row of the encoder must sum to 1 within {DiscreteSource.SumTolerance:G}; row x = {x} sums to {sum:R}."), nameof(initialEncoder));
            }

            for (int z = 0; z < nz; z++)
            {
                double v = initialEncoder[x, z] / sum;
                logE[(x * nz) + z] = v > 0 ? Math.Max(Math.Log(v), LogFloor) : LogFloor;
            }
        }

        return Iterate(source, lambda, gamma, nz, logE);
    }

    /// <summary>
    /// Escapes the saddles the iteration cannot leave numerically. A state that no input uses any more (its mass
    /// has underflowed) never comes back, because e(z|x) ∝ m(z)·…; for λ &gt; 1 the sharpening dynamics often let
    /// two inputs share one state while another state dies or duplicates a third, which J penalises but the
    /// iteration cannot repair. A trial start is built from the solution by merging duplicate states (equal
    /// d(·|z), which leaves J unchanged) and then moving 90% of the main input of the most mixed state (largest
    /// m(z)·H(x|z = z)) into a free state; the iteration runs from it, and the result is kept if it lowers F.
    /// This repeats while it helps, at most |Z| times.
    /// </summary>
    private ExactSolution ReviveDeadStates(DiscreteSource source, double lambda, double gamma, ExactSolution solution)
    {
        int nx = solution.InputCount;
        int nz = solution.LatentSize;
        for (int attempt = 0; attempt < nz; attempt++)
        {
            // q(x, z) = p(x) e(z|x), with duplicate states merged into the first of their kind.
            var q = new double[nx, nz];
            var mass = new double[nz];
            for (int x = 0; x < nx; x++)
            {
                for (int z = 0; z < nz; z++)
                {
                    q[x, z] = source.InputProbability(x) * solution.EncoderProbability(x, z);
                    mass[z] += q[x, z];
                }
            }

            for (int z = 0; z < nz; z++)
            {
                for (int k = 0; k < z && mass[z] >= DeadMass; k++)
                {
                    if (mass[k] >= DeadMass && IsDuplicate(q, mass, k, z))
                    {
                        for (int x = 0; x < nx; x++)
                        {
                            q[x, k] += q[x, z];
                            q[x, z] = 0;
                        }

                        mass[k] += mass[z];
                        mass[z] = 0;
                    }
                }
            }

            int free = -1;
            int mixed = -1;
            double mixing = MixingThreshold;
            for (int z = 0; z < nz; z++)
            {
                if (mass[z] < DeadMass)
                {
                    free = free < 0 ? z : free;
                    continue;
                }

                double h = 0;
                for (int x = 0; x < nx; x++)
                {
                    if (q[x, z] > 0)
                    {
                        h -= q[x, z] * Math.Log(q[x, z] / mass[z]);
                    }
                }

                if (h > mixing)
                {
                    mixing = h;
                    mixed = z;
                }
            }

            if (free < 0 || mixed < 0)
            {
                break;
            }

            int main = 0;
            for (int x = 1; x < nx; x++)
            {
                main = q[x, mixed] > q[main, mixed] ? x : main;
            }

            q[main, free] = 0.9 * q[main, mixed];
            q[main, mixed] *= 0.1;
            var logE = new double[nx * nz];
            for (int x = 0; x < nx; x++)
            {
                double px = source.InputProbability(x);
                for (int z = 0; z < nz; z++)
                {
                    double e = q[x, z] / px;
                    logE[(x * nz) + z] = e > 0 ? Math.Max(Math.Log(e), LogFloor) : LogFloor;
                }
            }

            ExactSolution split = Iterate(source, lambda, gamma, nz, logE);
            if (!(split.FreeEnergy < solution.FreeEnergy - (1e-13 * Math.Max(1, Math.Abs(solution.FreeEnergy)))))
            {
                break;
            }

            solution = split;
        }

        return solution;
    }

    /// <summary>Whether states k and z have the same posterior d(·|z) within <see cref="DuplicateTolerance"/>.</summary>
    private static bool IsDuplicate(double[,] q, double[] mass, int k, int z)
    {
        for (int x = 0; x < q.GetLength(0); x++)
        {
            if (Math.Abs((q[x, k] / mass[k]) - (q[x, z] / mass[z])) > DuplicateTolerance)
            {
                return false;
            }
        }

        return true;
    }

    private static void ValidateMultipliers(double lambda, double gamma)
    {
        if (!double.IsFinite(lambda) || lambda <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, Invariant($"λ must be finite and > 0; got {lambda:R}."));
        }

        if (!double.IsFinite(gamma) || gamma < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, Invariant($"γ must be finite and ≥ 0; got {gamma:R}."));
        }
    }

    /// <summary>Runs block-coordinate sweeps from log e until the stopping rule holds; logE ([x·|Z| + z]) is overwritten.</summary>
    private ExactSolution Iterate(DiscreteSource source, double lambda, double gamma, int nz, double[] logE)
    {
        var tables = new Tables(source, nz);
        var next = new double[logE.Length];
        var e = new double[logE.Length];
        var weight = new double[nz];
        int nx = tables.InputCount;
        int ny = tables.LabelCount;
        double tolerance = Options.Tolerance;
        int iterations = 0;
        double change = double.PositiveInfinity;
        bool converged = false;
        for (int i = 0; i < logE.Length; i++)
        {
            e[i] = Math.Exp(logE[i]);
        }

        tables.Update(logE);
        while (iterations < Options.MaxIterations)
        {
            iterations++;

            // e-step: e(z|x) ∝ m(z)·exp(λ·log d(x|z) + γ·Σ_y p(y|x)·log c(y|z)), normalised by log-sum-exp over z.
            change = 0;
            for (int x = 0; x < nx; x++)
            {
                double max = double.NegativeInfinity;
                for (int z = 0; z < nz; z++)
                {
                    double s = tables.LogM[z] + (lambda * tables.LogD[(x * nz) + z]);
                    if (gamma != 0)
                    {
                        double expected = 0;
                        for (int y = 0; y < ny; y++)
                        {
                            double pyx = tables.PYGivenX[(x * ny) + y];
                            if (pyx > 0)
                            {
                                expected += pyx * tables.LogC[(z * ny) + y];
                            }
                        }

                        s += gamma * expected;
                    }

                    next[(x * nz) + z] = s;
                    max = Math.Max(max, s);
                }

                double total = 0;
                for (int z = 0; z < nz; z++)
                {
                    double w = Math.Exp(next[(x * nz) + z] - max);
                    weight[z] = w;
                    total += w;
                }

                double logNorm = max + Math.Log(total);
                for (int z = 0; z < nz; z++)
                {
                    int i = (x * nz) + z;
                    double updated = weight[z] / total;
                    change = Math.Max(change, Math.Abs(updated - e[i]));
                    e[i] = updated;
                    next[i] = Math.Max(next[i] - logNorm, LogFloor);
                }
            }

            (logE, next) = (next, logE);

            // m-, d-, c-steps: the exact optima for the new encoder.
            tables.Update(logE);
            if (change < tolerance)
            {
                converged = true;
                break;
            }
        }

        return tables.ToSolution(lambda, gamma, logE, iterations, converged, change);
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>The source in flat arrays plus the m, d, c blocks (in log space) for the current encoder.</summary>
    private sealed class Tables
    {
        private readonly DiscreteSource _source;
        private readonly double[] _logP;
        private readonly double[] _work;

        public Tables(DiscreteSource source, int nz)
        {
            _source = source;
            InputCount = source.InputCount;
            LabelCount = source.LabelCount;
            LatentSize = nz;
            _logP = new double[InputCount];
            PYGivenX = new double[InputCount * LabelCount];
            for (int x = 0; x < InputCount; x++)
            {
                double px = source.InputProbability(x);
                _logP[x] = Math.Log(px);
                for (int y = 0; y < LabelCount; y++)
                {
                    double pxy = source.Probability(x, y);
                    PYGivenX[(x * LabelCount) + y] = pxy / px;
                }
            }

            LogM = new double[nz];
            LogD = new double[InputCount * nz];
            LogC = new double[nz * LabelCount];
            _work = new double[InputCount];
        }

        public int InputCount { get; }

        public int LabelCount { get; }

        public int LatentSize { get; }

        /// <summary>p(y|x) as [x·|Y| + y].</summary>
        public double[] PYGivenX { get; }

        /// <summary>log m(z).</summary>
        public double[] LogM { get; }

        /// <summary>log d(x|z) as [x·|Z| + z].</summary>
        public double[] LogD { get; }

        /// <summary>log c(y|z) as [z·|Y| + y]; −∞ only for labels of probability 0.</summary>
        public double[] LogC { get; }

        /// <summary>m, d, c: the exact block optima for the encoder log e.</summary>
        public void Update(double[] logE)
        {
            int nx = InputCount;
            int ny = LabelCount;
            int nz = LatentSize;
            for (int z = 0; z < nz; z++)
            {
                // Weights w(x) = p(x) e(z|x) / max_x(p(x) e(z|x)), so that the largest is 1 whatever the state's mass.
                double max = double.NegativeInfinity;
                for (int x = 0; x < nx; x++)
                {
                    double v = _logP[x] + logE[(x * nz) + z];
                    _work[x] = v;
                    max = Math.Max(max, v);
                }

                double total = 0;
                for (int x = 0; x < nx; x++)
                {
                    double w = Math.Exp(_work[x] - max);
                    LogD[(x * nz) + z] = _work[x];
                    _work[x] = w;
                    total += w;
                }

                double logM = max + Math.Log(total);
                LogM[z] = logM;
                for (int x = 0; x < nx; x++)
                {
                    LogD[(x * nz) + z] -= logM;
                }

                // c(y|z) = Σ_x p(y|x) p(x) e(z|x) / m(z) = Σ_x p(y|x) w(x) / Σ_x w(x).
                for (int y = 0; y < ny; y++)
                {
                    double sum = 0;
                    for (int x = 0; x < nx; x++)
                    {
                        sum += PYGivenX[(x * ny) + y] * _work[x];
                    }

                    LogC[(z * ny) + y] = Math.Log(sum / total);
                }
            }
        }

        public ExactSolution ToSolution(double lambda, double gamma, double[] logE, int iterations, bool converged, double change)
        {
            int nx = InputCount;
            int ny = LabelCount;
            int nz = LatentSize;
            var encoder = new double[nx, nz];
            var marginal = new double[nz];
            var decoder = new double[nz, nx];
            var classifier = new double[nz, ny];
            for (int z = 0; z < nz; z++)
            {
                marginal[z] = Math.Exp(LogM[z]);
                for (int x = 0; x < nx; x++)
                {
                    encoder[x, z] = Math.Exp(logE[(x * nz) + z]);
                    decoder[z, x] = Math.Exp(LogD[(x * nz) + z]);
                }

                for (int y = 0; y < ny; y++)
                {
                    classifier[z, y] = Math.Exp(LogC[(z * ny) + y]);
                }
            }

            // The functionals as the definitions read them, with the block-optimal m, d, c.
            double rate = 0;
            double distortion = 0;
            double classification = 0;
            for (int x = 0; x < nx; x++)
            {
                double px = _source.InputProbability(x);
                for (int z = 0; z < nz; z++)
                {
                    double e = encoder[x, z];
                    if (e == 0)
                    {
                        continue;
                    }

                    int i = (x * nz) + z;
                    rate += px * e * (logE[i] - LogM[z]);
                    distortion -= px * e * LogD[i];
                    for (int y = 0; y < ny; y++)
                    {
                        double pxy = _source.Probability(x, y);
                        if (pxy > 0)
                        {
                            classification -= pxy * e * LogC[(z * ny) + y];
                        }
                    }
                }
            }

            // The closed forms, computed from the joints q(x, z) = p(x) e(z|x) and q(y, z) = Σ_x p(x, y) e(z|x) in linear space.
            double ixz = 0;
            for (int x = 0; x < nx; x++)
            {
                double px = _source.InputProbability(x);
                for (int z = 0; z < nz; z++)
                {
                    double q = px * encoder[x, z];
                    if (q > 0 && marginal[z] > 0)
                    {
                        ixz += q * Math.Log(q / (px * marginal[z]));
                    }
                }
            }

            double iyz = 0;
            for (int y = 0; y < ny; y++)
            {
                double py = 0;
                for (int x = 0; x < nx; x++)
                {
                    py += _source.Probability(x, y);
                }

                for (int z = 0; z < nz; z++)
                {
                    double q = 0;
                    for (int x = 0; x < nx; x++)
                    {
                        q += _source.Probability(x, y) * encoder[x, z];
                    }

                    if (q > 0 && marginal[z] > 0)
                    {
                        iyz += q * Math.Log(q / (py * marginal[z]));
                    }
                }
            }

            return new ExactSolution(
                lambda,
                gamma,
                rate,
                distortion,
                classification,
                ixz,
                iyz,
                _source.InputEntropy,
                logE,
                encoder,
                marginal,
                decoder,
                classifier,
                iterations,
                converged,
                change);
        }
    }
}
