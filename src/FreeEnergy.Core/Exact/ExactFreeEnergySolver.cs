using System.Globalization;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;

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
/// J is not jointly convex: <see cref="Solve(DiscreteSource, Multipliers)"/> tries
/// <see cref="ExactSolverOptions.Restarts"/> random initial encoders and keeps the lowest F;
/// <see cref="Solve(DiscreteSource, Multipliers, ExactSolution)"/> continues from a previous solution
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
    /// <exception cref="FreeEnergyConfigurationException">A setting is out of range (every problem is listed).</exception>
    public ExactFreeEnergySolver(ExactSolverOptions? options = null)
    {
        Options = (options ?? new ExactSolverOptions()).Validate();
    }

    /// <summary>The settings.</summary>
    public ExactSolverOptions Options { get; }

    /// <summary>
    /// Minimises J at (λ, γ) from <see cref="ExactSolverOptions.Restarts"/> random initial encoders
    /// (seeded by <see cref="ExactSolverOptions.Seed"/>) and returns the solution with the lowest F.
    /// </summary>
    /// <param name="source">The joint p(x, y).</param>
    /// <param name="multipliers">(λ, γ); not <c>default</c> (λ = 0).</param>
    /// <returns>The best solution found.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="multipliers"/> is <c>default</c>.</exception>
    public ExactSolution Solve(DiscreteSource source, Multipliers multipliers)
    {
        ArgumentNullException.ThrowIfNull(source);
        Guard.Valid(multipliers);
        int nx = source.InputCount;
        int nz = Options.LatentSize ?? nx;
#pragma warning disable CA5394 // Not security-sensitive: reproducible initial encoders.
        var random = new Random(Options.Seed);
#pragma warning restore CA5394
        ExactSolution? best = null;
        for (int restart = 0; restart < Options.Restarts; restart++)
        {
            ExactSolution candidate = Iterate(source, multipliers, nz, RandomStart(random, nx, nz));
            if (multipliers.Lambda > 1)
            {
                candidate = ReviveDeadStates(source, multipliers, candidate);
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
    /// <param name="multipliers">(λ, γ); not <c>default</c> (λ = 0).</param>
    /// <param name="warmStart">The solution whose encoder starts the iteration; its |X| must match the source, and its |Z| is used (overriding <see cref="ExactSolverOptions.LatentSize"/>).</param>
    /// <returns>The solution reached from the warm start.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="multipliers"/> is <c>default</c>.</exception>
    /// <exception cref="ArgumentException">The warm start's |X| differs from the source's.</exception>
    public ExactSolution Solve(DiscreteSource source, Multipliers multipliers, ExactSolution warmStart)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(warmStart);
        Guard.Valid(multipliers);
        if (warmStart.InputCount != source.InputCount)
        {
            throw new ArgumentException(Invariant($"The warm start's encoder must have |X| = {source.InputCount} rows to match the source; got {warmStart.InputCount}."), nameof(warmStart));
        }

        return Iterate(source, multipliers, warmStart.LatentSize, warmStart.LogEncoder.ToArray());
    }

    /// <summary>
    /// Minimises J at (λ, γ) starting from a given encoder. A state to which the initial encoder gives no mass
    /// at all stays unused (e(z|x) ∝ m(z)·…); single zero entries of a used state may become positive.
    /// </summary>
    /// <param name="source">The joint p(x, y).</param>
    /// <param name="multipliers">(λ, γ); not <c>default</c> (λ = 0).</param>
    /// <param name="initialEncoder">e(z|x) as [x, z]: |X| rows, |Z| ≥ 1 columns (used instead of <see cref="ExactSolverOptions.LatentSize"/>), entries finite and ≥ 0, each row summing to 1 within 1e-9 (rows are renormalised).</param>
    /// <returns>The solution reached from the given encoder.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="multipliers"/> is <c>default</c>.</exception>
    /// <exception cref="ArgumentException">The encoder's shape or entries are invalid.</exception>
    public ExactSolution SolveFrom(DiscreteSource source, Multipliers multipliers, double[,] initialEncoder)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(initialEncoder);
        Guard.Valid(multipliers);
        int nx = initialEncoder.GetLength(0);
        int nz = initialEncoder.GetLength(1);
        if (nx != source.InputCount || nz < 1)
        {
            throw new ArgumentException(Invariant($"The initial encoder must have shape [|X| = {source.InputCount}, |Z| ≥ 1]; got [{nx}, {nz}]."), nameof(initialEncoder));
        }

        return Iterate(source, multipliers, nz, LogEncoder(initialEncoder));
    }

    /// <summary><see cref="Solve(DiscreteSource, Multipliers)"/> with λ and γ as numbers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">λ ≤ 0, γ &lt; 0, or either is not finite.</exception>
    [Obsolete("Pass the multipliers: Solve(source, new Multipliers(lambda, gamma)).")]
    public ExactSolution Solve(DiscreteSource source, double lambda, double gamma) => Solve(source, new Multipliers(lambda, gamma));

    /// <summary><see cref="Solve(DiscreteSource, Multipliers, ExactSolution)"/> with λ and γ as numbers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">λ ≤ 0, γ &lt; 0, or either is not finite.</exception>
    [Obsolete("Pass the multipliers: Solve(source, new Multipliers(lambda, gamma), warmStart).")]
    public ExactSolution Solve(DiscreteSource source, double lambda, double gamma, ExactSolution warmStart) => Solve(source, new Multipliers(lambda, gamma), warmStart);

    /// <summary><see cref="SolveFrom(DiscreteSource, Multipliers, double[,])"/> with λ and γ as numbers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">λ ≤ 0, γ &lt; 0, or either is not finite.</exception>
    [Obsolete("Pass the multipliers: SolveFrom(source, new Multipliers(lambda, gamma), initialEncoder).")]
    public ExactSolution SolveFrom(DiscreteSource source, double lambda, double gamma, double[,] initialEncoder) => SolveFrom(source, new Multipliers(lambda, gamma), initialEncoder);

    /// <summary>An initial encoder in log space: rows of independent U(0, 1) weights (+ 10⁻³), normalised. Strictly positive, so no state starts dead.</summary>
    private static double[] RandomStart(Random random, int nx, int nz)
    {
        var logE = new double[nx * nz];
        for (int x = 0; x < nx; x++)
        {
            double sum = 0;
            for (int z = 0; z < nz; z++)
            {
#pragma warning disable CA5394 // Not security-sensitive: reproducible initial encoders.
                double w = 1e-3 + random.NextDouble();
#pragma warning restore CA5394
                logE[(x * nz) + z] = w;
                sum += w;
            }

            for (int z = 0; z < nz; z++)
            {
                logE[(x * nz) + z] = Math.Log(logE[(x * nz) + z] / sum);
            }
        }

        return logE;
    }

    /// <summary>A checked initial encoder [x, z] in log space (rows renormalised, floored at <see cref="LogFloor"/>).</summary>
    private static double[] LogEncoder(double[,] initialEncoder)
    {
        int nx = initialEncoder.GetLength(0);
        int nz = initialEncoder.GetLength(1);
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

        return logE;
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
    private ExactSolution ReviveDeadStates(DiscreteSource source, Multipliers multipliers, ExactSolution solution)
    {
        int nz = solution.LatentSize;
        for (int attempt = 0; attempt < nz; attempt++)
        {
            var (q, mass) = Joint(source, solution);
            MergeDuplicates(q, mass);
            var (free, mixed) = FreeAndMostMixed(q, mass);
            if (free < 0 || mixed < 0)
            {
                break;
            }

            ExactSolution split = Iterate(source, multipliers, nz, SplitStart(source, q, mixed, free));
            if (!(split.FreeEnergy < solution.FreeEnergy - (1e-13 * Math.Max(1, Math.Abs(solution.FreeEnergy)))))
            {
                break;
            }

            solution = split;
        }

        return solution;
    }

    /// <summary>q(x, z) = p(x) e(z|x) and the state masses m(z) = Σ_x q(x, z) of a solution.</summary>
    private static (double[,] Q, double[] Mass) Joint(DiscreteSource source, ExactSolution solution)
    {
        int nx = solution.InputCount;
        int nz = solution.LatentSize;
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

        return (q, mass);
    }

    /// <summary>Merges every live state into the first earlier live state with the same d(·|z) (J is unchanged).</summary>
    private static void MergeDuplicates(double[,] q, double[] mass)
    {
        int nx = q.GetLength(0);
        int nz = q.GetLength(1);
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
    }

    /// <summary>The first dead state and the live state with the largest m(z)·H(x|z = z) above <see cref="MixingThreshold"/>; −1 when there is none.</summary>
    private static (int Free, int Mixed) FreeAndMostMixed(double[,] q, double[] mass)
    {
        int nx = q.GetLength(0);
        int free = -1;
        int mixed = -1;
        double mixing = MixingThreshold;
        for (int z = 0; z < mass.Length; z++)
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

        return (free, mixed);
    }

    /// <summary>The trial start: 90% of the main input of state <paramref name="mixed"/> moved to state <paramref name="free"/>, as log e (q is changed).</summary>
    private static double[] SplitStart(DiscreteSource source, double[,] q, int mixed, int free)
    {
        int nx = q.GetLength(0);
        int nz = q.GetLength(1);
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

        return logE;
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

    /// <summary>Runs block-coordinate sweeps from log e until the stopping rule holds; logE ([x·|Z| + z]) is overwritten.</summary>
    private ExactSolution Iterate(DiscreteSource source, Multipliers multipliers, int nz, double[] logE)
    {
        var tables = new ExactTables(source, nz);
        var sweep = new EncoderSweep(tables, multipliers, logE);
        int iterations = 0;
        double change = double.PositiveInfinity;
        bool converged = false;
        tables.Update(logE);
        while (iterations < Options.MaxIterations)
        {
            iterations++;
            change = sweep.Step(ref logE);

            // m-, d-, c-steps: the exact optima for the new encoder.
            tables.Update(logE);
            if (change < Options.Tolerance)
            {
                converged = true;
                break;
            }
        }

        return tables.ToSolution(multipliers, logE, iterations, converged, change);
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>The e-step of one sweep with its work arrays: e(z|x) ∝ m(z)·exp(λ·log d(x|z) + γ·Σ_y p(y|x)·log c(y|z)).</summary>
    private sealed class EncoderSweep
    {
        private readonly ExactTables tables;
        private readonly double lambda;
        private readonly double gamma;
        private readonly double[] e;
        private readonly double[] weight;
        private double[] next;

        public EncoderSweep(ExactTables tables, Multipliers multipliers, double[] logE)
        {
            this.tables = tables;
            (lambda, gamma) = (multipliers.Lambda, multipliers.Gamma);
            next = new double[logE.Length];
            e = new double[logE.Length];
            weight = new double[tables.LatentSize];
            for (int i = 0; i < logE.Length; i++)
            {
                e[i] = Math.Exp(logE[i]);
            }
        }

        /// <summary>Updates the encoder (normalised by log-sum-exp over z; <paramref name="logE"/> becomes the new one) and returns max |Δe(z|x)|.</summary>
        public double Step(ref double[] logE)
        {
            double change = 0;
            for (int x = 0; x < tables.InputCount; x++)
            {
                double max = Scores(x);
                change = Math.Max(change, Normalise(x, max));
            }

            (logE, next) = (next, logE);
            return change;
        }

        /// <summary>The unnormalised log e(z|x) of input x into <see cref="next"/>; returns their maximum.</summary>
        private double Scores(int x)
        {
            double max = double.NegativeInfinity;
            for (int z = 0; z < tables.LatentSize; z++)
            {
                double s = tables.LogM[z] + (lambda * tables.LogD[tables.EncoderIndex(x, z)]);
                if (gamma != 0)
                {
                    double expected = 0;
                    for (int y = 0; y < tables.LabelCount; y++)
                    {
                        double pyx = tables.PYGivenX[tables.LabelIndex(x, y)];
                        if (pyx > 0)
                        {
                            expected += pyx * tables.LogC[tables.ClassifierIndex(z, y)];
                        }
                    }

                    s += gamma * expected;
                }

                next[tables.EncoderIndex(x, z)] = s;
                max = Math.Max(max, s);
            }

            return max;
        }

        /// <summary>Normalises the row of input x by log-sum-exp; returns the row's max |Δe(z|x)|.</summary>
        private double Normalise(int x, double max)
        {
            int nz = tables.LatentSize;
            double total = 0;
            for (int z = 0; z < nz; z++)
            {
                double w = Math.Exp(next[tables.EncoderIndex(x, z)] - max);
                weight[z] = w;
                total += w;
            }

            double logNorm = max + Math.Log(total);
            double change = 0;
            for (int z = 0; z < nz; z++)
            {
                int i = tables.EncoderIndex(x, z);
                double updated = weight[z] / total;
                change = Math.Max(change, Math.Abs(updated - e[i]));
                e[i] = updated;
                next[i] = Math.Max(next[i] - logNorm, LogFloor);
            }

            return change;
        }
    }
}
