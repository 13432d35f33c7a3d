using System.Globalization;
using FreeEnergy.Core.Identities;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Surface;
using MathNet.Numerics.LinearAlgebra;

namespace FreeEnergy.Core.Exact;

/// <summary>
/// The result of <see cref="ExactFreeEnergySolver"/> at one pair of multipliers (λ, γ): the functionals
/// (nats), the free energy, and the tabular distributions of the final block-coordinate fixed point.
/// </summary>
/// <remarks>
/// The tables are mutually consistent: m, d and c are the block optima for the final encoder e, so
/// <see cref="Rate"/> = I(x;z), <see cref="Distortion"/> = H(x) − I(x;z) and <see cref="Classification"/> = H(y|z)
/// hold up to rounding whatever the convergence; how close e is to a fixed point is
/// <see cref="MaxEncoderChange"/>. Instances are immutable: the table properties return fresh copies.
/// </remarks>
public sealed record ExactSolution
{
    private readonly double[] _logEncoder;
    private readonly double[,] _encoder;
    private readonly double[] _marginal;
    private readonly double[,] _decoder;
    private readonly double[,] _classifier;

    internal ExactSolution(
        Multipliers multipliers,
        double rate,
        double distortion,
        double classification,
        double mutualInformation,
        double labelInformation,
        double inputEntropy,
        double[] logEncoder,
        double[,] encoder,
        double[] marginal,
        double[,] decoder,
        double[,] classifier,
        int iterations,
        bool converged,
        double maxEncoderChange)
    {
        Multipliers = multipliers;
        Rate = rate;
        Distortion = distortion;
        Classification = classification;
        MutualInformation = mutualInformation;
        LabelInformation = labelInformation;
        InputEntropy = inputEntropy;
        _logEncoder = logEncoder;
        _encoder = encoder;
        _marginal = marginal;
        _decoder = decoder;
        _classifier = classifier;
        Iterations = iterations;
        Converged = converged;
        MaxEncoderChange = maxEncoderChange;
    }

    /// <summary>(λ, γ), the multipliers the solution minimises J at.</summary>
    public Multipliers Multipliers { get; }

    /// <summary>λ, the multiplier of the distortion.</summary>
    public double Lambda => Multipliers.Lambda;

    /// <summary>γ, the multiplier of the classification loss.</summary>
    public double Gamma => Multipliers.Gamma;

    /// <summary>The rate R = Σ_x p(x) KL(e(·|x) ‖ m) in nats; equals I(x;z) because m is the encoder's marginal.</summary>
    public double Rate { get; }

    /// <summary>The distortion D = −Σ_{x,z} p(x) e(z|x) log d(x|z) in nats; equals H(x|z) = H(x) − I(x;z).</summary>
    public double Distortion { get; }

    /// <summary>The classification loss C = −Σ_{x,y,z} p(x,y) e(z|x) log c(y|z) in nats; equals H(y|z).</summary>
    public double Classification { get; }

    /// <summary>The free energy F(λ, γ) = R + λ·D + γ·C in nats (the minimum of J when <see cref="Converged"/> and the branch is the global one).</summary>
    public double FreeEnergy => Rate + (Lambda * Distortion) + (Gamma * Classification);

    /// <summary>I(x;z) in nats, computed from the joint p(x) e(z|x) directly (not through R).</summary>
    public double MutualInformation { get; }

    /// <summary>I(y;z) in nats, computed from the joint Σ_x p(x, y) e(z|x); H(y) − I(y;z) = H(y|z).</summary>
    public double LabelInformation { get; }

    /// <summary>H(x) of the source in nats.</summary>
    public double InputEntropy { get; }

    /// <summary>|X|.</summary>
    public int InputCount => _encoder.GetLength(0);

    /// <summary>|Z|.</summary>
    public int LatentSize => _encoder.GetLength(1);

    /// <summary>|Y|.</summary>
    public int LabelCount => _classifier.GetLength(1);

    /// <summary>The encoder as a fresh |X| × |Z| matrix: entry [x, z] is e(z|x); rows sum to 1.</summary>
    public Matrix<double> Encoder => Matrix<double>.Build.DenseOfArray(_encoder);

    /// <summary>The latent marginal m(z) = Σ_x p(x) e(z|x) as a fresh vector of length |Z|. Unused states have m(z) = 0.</summary>
    public Vector<double> Marginal => Vector<double>.Build.DenseOfArray(_marginal);

    /// <summary>
    /// The decoder as a fresh |Z| × |X| matrix: entry [z, x] is d(x|z) = p(x) e(z|x) / m(z); rows sum to 1.
    /// For an unused state (m(z) = 0 in double precision) the row is the limit of that ratio as the state's
    /// vanishing mass is tracked in log space; it carries no weight in R, D or C.
    /// </summary>
    public Matrix<double> Decoder => Matrix<double>.Build.DenseOfArray(_decoder);

    /// <summary>
    /// The classifier as a fresh |Z| × |Y| matrix: entry [z, y] is c(y|z) = Σ_x p(x, y) e(z|x) / m(z); rows sum to 1
    /// (unused states as for <see cref="Decoder"/>).
    /// </summary>
    public Matrix<double> Classifier => Matrix<double>.Build.DenseOfArray(_classifier);

    /// <summary>
    /// Block-coordinate sweeps of the run that produced this solution (from its random start, warm start, or
    /// the last accepted dead-state revival); other restarts are not counted.
    /// </summary>
    public int Iterations { get; }

    /// <summary>Whether the last sweep changed no e(z|x) by as much as the tolerance.</summary>
    public bool Converged { get; }

    /// <summary>max over (x, z) of |Δe(z|x)| in the last sweep.</summary>
    public double MaxEncoderChange { get; }

    /// <summary>The encoder in log space, as the iteration keeps it (entries below e^-1000 are clamped there).</summary>
    internal ReadOnlySpan<double> LogEncoder => _logEncoder;

    /// <summary>This solution as a point of the equilibrium surface, for <see cref="IdentityCheck"/>.</summary>
    /// <returns>(λ, γ) and R, D, C (the oracle has no accuracy or example count: 0).</returns>
    public SurfacePoint ToSurfacePoint() => new(Multipliers, new Functionals(Rate, Distortion, Classification, 0, 0));

    /// <summary>e(z|x).</summary>
    /// <param name="x">Input index.</param>
    /// <param name="z">Latent index.</param>
    /// <returns>The encoder probability.</returns>
    public double EncoderProbability(int x, int z) => _encoder[x, z];

    /// <inheritdoc />
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"ExactSolution(λ = {Lambda:G6}, γ = {Gamma:G6}: R = {Rate:G10}, D = {Distortion:G10}, C = {Classification:G10}, F = {FreeEnergy:G12} nats; |Z| = {LatentSize}, {Iterations} iterations, {(Converged ? "converged" : "not converged")}, max |Δe| = {MaxEncoderChange:G3})");
}
