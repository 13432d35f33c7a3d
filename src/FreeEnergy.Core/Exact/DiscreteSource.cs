using System.Globalization;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;

namespace FreeEnergy.Core.Exact;

/// <summary>
/// A validated joint distribution p(x, y) over a finite input alphabet x (rows) and a finite label
/// alphabet y (columns): the data of the exact oracle (theory.md §2, "A known answer: discrete sources").
/// Every entropy is in nats.
/// </summary>
/// <remarks>
/// <para>
/// Every entry must be finite and ≥ 0 and the entries must sum to 1 within <see cref="SumTolerance"/>;
/// the stored joint is divided by its sum so that it sums to 1 up to rounding. To rescale arbitrary
/// non-negative weights, use <see cref="Normalize(double[,])"/> explicitly.
/// </para>
/// <para>
/// Every input must have positive probability: an all-zero row is rejected. An input that never occurs
/// has no defined p(y|x), its encoder e(z|x) is arbitrary and it contributes nothing to R, D or C, so the
/// caller should drop the row. All-zero columns (labels that never occur) are allowed; they contribute
/// nothing.
/// </para>
/// <para>Instances are immutable; the matrix and vector properties return fresh copies.</para>
/// </remarks>
public sealed class DiscreteSource
{
    /// <summary>How far the entries of a joint may sum from 1 before it is rejected.</summary>
    public const double SumTolerance = 1e-9;

    private readonly double[,] _joint;
    private readonly double[] _px;
    private readonly double[] _py;

    /// <summary>Creates a source from a joint p(x, y) given as [x, y].</summary>
    /// <param name="joint">The joint probabilities, rows x, columns y; at least one row and one column, entries finite and ≥ 0, sum 1 within <see cref="SumTolerance"/>, no all-zero row. The array is copied.</param>
    /// <exception cref="ArgumentNullException"><paramref name="joint"/> is null.</exception>
    /// <exception cref="ArgumentException">An entry is negative or not finite, the sum is not 1, a row is all zero, or the array is empty.</exception>
    public DiscreteSource(double[,] joint)
        : this(joint, normalize: false, nameof(joint))
    {
    }

    /// <summary>Creates a source from a joint p(x, y) given as a MathNet matrix (rows x, columns y); same rules as <see cref="DiscreteSource(double[,])"/>.</summary>
    /// <param name="joint">The joint probabilities, rows x, columns y. The matrix is copied.</param>
    /// <exception cref="ArgumentNullException"><paramref name="joint"/> is null.</exception>
    /// <exception cref="ArgumentException">An entry is negative or not finite, the sum is not 1, or a row is all zero.</exception>
    public DiscreteSource(Matrix<double> joint)
        : this((joint ?? throw new ArgumentNullException(nameof(joint))).ToArray(), normalize: false, nameof(joint))
    {
    }

    private DiscreteSource(double[,] joint, bool normalize, string paramName)
    {
        ArgumentNullException.ThrowIfNull(joint, paramName);
        int nx = joint.GetLength(0);
        int ny = joint.GetLength(1);
        if (nx < 1 || ny < 1)
        {
            throw new ArgumentException(Invariant($"The joint must have at least one row (x) and one column (y); got shape [{nx}, {ny}]."), paramName);
        }

        double sum = CheckedSum(joint, normalize, paramName);
        _joint = new double[nx, ny];
        _px = new double[nx];
        _py = new double[ny];
        for (int x = 0; x < nx; x++)
        {
            for (int y = 0; y < ny; y++)
            {
                double v = joint[x, y] / sum;
                _joint[x, y] = v;
                _px[x] += v;
                _py[y] += v;
            }

            if (_px[x] == 0)
            {
                throw new ArgumentException(Invariant($"Every input must have positive probability; row x = {x} of the joint is all zero (drop it: an input that never occurs has no encoder and contributes nothing)."), paramName);
            }
        }

        InputEntropy = Entropy(_px);
        LabelEntropy = Entropy(_py);
        JointEntropy = Entropy(_joint.Cast<double>());
    }

    /// <summary>The sum of the entries, after checking that each is finite and ≥ 0 and that the sum is 1 (or, to normalise, positive and finite).</summary>
    private static double CheckedSum(double[,] joint, bool normalize, string paramName)
    {
        int nx = joint.GetLength(0);
        int ny = joint.GetLength(1);
        double sum = 0;
        for (int x = 0; x < nx; x++)
        {
            for (int y = 0; y < ny; y++)
            {
                double v = joint[x, y];
                if (!double.IsFinite(v) || v < 0)
                {
                    throw new ArgumentException(Invariant($"Every joint probability must be finite and ≥ 0; got {paramName}[{x}, {y}] = {v:R}."), paramName);
                }

                sum += v;
            }
        }

        if (normalize)
        {
            if (!(sum > 0) || !double.IsFinite(sum))
            {
                throw new ArgumentException(Invariant($"The weights must have a finite positive sum; got {sum:R}."), paramName);
            }
        }
        else if (Math.Abs(sum - 1) > SumTolerance)
        {
            throw new ArgumentException(Invariant($"The joint must sum to 1 within {SumTolerance:G}; got {sum:R} (use DiscreteSource.Normalize to rescale weights)."), paramName);
        }

        return sum;
    }

    /// <summary>Creates a source from non-negative weights by dividing them by their sum.</summary>
    /// <param name="weights">Non-negative finite weights, rows x, columns y, with a positive sum and no all-zero row. The array is copied.</param>
    /// <returns>The normalised source.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="weights"/> is null.</exception>
    /// <exception cref="ArgumentException">An entry is negative or not finite, the sum is not positive, or a row is all zero.</exception>
    public static DiscreteSource Normalize(double[,] weights) => new(weights, normalize: true, nameof(weights));

    /// <summary>
    /// A random joint with all entries positive, drawn from the flat Dirichlet distribution over the
    /// <paramref name="inputCount"/>·<paramref name="labelCount"/> cells (MathNet.Numerics) with a seeded generator:
    /// the same arguments give the same joint.
    /// </summary>
    /// <param name="inputCount">|X| ≥ 1.</param>
    /// <param name="labelCount">|Y| ≥ 1.</param>
    /// <param name="seed">Seed of the generator.</param>
    /// <returns>The random source.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count is &lt; 1.</exception>
    public static DiscreteSource Random(int inputCount, int labelCount, int seed)
    {
        if (inputCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(inputCount), inputCount, Invariant($"|X| must be ≥ 1; got {inputCount}."));
        }

        if (labelCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(labelCount), labelCount, Invariant($"|Y| must be ≥ 1; got {labelCount}."));
        }

#pragma warning disable CA5394 // Not security-sensitive: a reproducible test distribution.
        var random = new System.Random(seed);
#pragma warning restore CA5394
        double[] alpha = Enumerable.Repeat(1.0, inputCount * labelCount).ToArray();
        double[] cells = Dirichlet.Sample(random, alpha);
        var weights = new double[inputCount, labelCount];
        for (int x = 0; x < inputCount; x++)
        {
            for (int y = 0; y < labelCount; y++)
            {
                // Keep every cell positive, so that no row is empty even if a draw underflows.
                weights[x, y] = Math.Max(cells[(x * labelCount) + y], 1e-300);
            }
        }

        return Normalize(weights);
    }

    /// <summary>|X|, the number of inputs (rows).</summary>
    public int InputCount => _px.Length;

    /// <summary>|Y|, the number of labels (columns).</summary>
    public int LabelCount => _py.Length;

    /// <summary>H(x) in nats.</summary>
    public double InputEntropy { get; }

    /// <summary>H(y) in nats.</summary>
    public double LabelEntropy { get; }

    /// <summary>H(x, y) in nats.</summary>
    public double JointEntropy { get; }

    /// <summary>H(y|x) = H(x, y) − H(x) in nats: the least classification loss any representation can reach.</summary>
    public double LabelGivenInputEntropy => JointEntropy - InputEntropy;

    /// <summary>I(x; y) = H(x) + H(y) − H(x, y) in nats: the most label information any representation can hold.</summary>
    public double MutualInformation => InputEntropy + LabelEntropy - JointEntropy;

    /// <summary>The joint p(x, y) as a fresh |X| × |Y| matrix.</summary>
    public Matrix<double> Joint => Matrix<double>.Build.DenseOfArray(_joint);

    /// <summary>The input marginal p(x) as a fresh vector.</summary>
    public Vector<double> InputMarginal => Vector<double>.Build.DenseOfArray(_px);

    /// <summary>The label marginal p(y) as a fresh vector.</summary>
    public Vector<double> LabelMarginal => Vector<double>.Build.DenseOfArray(_py);

    /// <summary>The conditional p(y|x) as a fresh |X| × |Y| matrix; each row sums to 1.</summary>
    public Matrix<double> LabelGivenInput => Matrix<double>.Build.Dense(InputCount, LabelCount, (x, y) => _joint[x, y] / _px[x]);

    /// <summary>p(x, y).</summary>
    /// <param name="x">Input index in [0, |X|).</param>
    /// <param name="y">Label index in [0, |Y|).</param>
    /// <returns>The joint probability.</returns>
    public double Probability(int x, int y) => _joint[x, y];

    /// <summary>p(x).</summary>
    /// <param name="x">Input index in [0, |X|).</param>
    /// <returns>The marginal probability of the input.</returns>
    public double InputProbability(int x) => _px[x];

    /// <inheritdoc />
    public override string ToString() =>
        Invariant($"DiscreteSource(|X| = {InputCount}, |Y| = {LabelCount}, H(x) = {InputEntropy:G6}, H(y) = {LabelEntropy:G6}, I(x;y) = {MutualInformation:G6} nats)");

    private static double Entropy(IEnumerable<double> p)
    {
        double h = 0;
        foreach (double v in p)
        {
            if (v > 0)
            {
                h -= v * Math.Log(v);
            }
        }

        return h;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
