using FreeEnergy.Core.Exact;
using FreeEnergy.Core.Models;

namespace FreeEnergy.Core.Internal;

/// <summary>
/// The source in flat arrays plus the m, d, c blocks (in log space) for the current encoder, for
/// <see cref="ExactFreeEnergySolver"/>; flat indices through <see cref="EncoderIndex"/>, <see cref="ClassifierIndex"/>
/// and <see cref="LabelIndex"/>.
/// </summary>
internal sealed class ExactTables
{
    private readonly DiscreteSource _source;
    private readonly double[] _logP;
    private readonly double[] _work;

    public ExactTables(DiscreteSource source, int nz)
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
                PYGivenX[LabelIndex(x, y)] = pxy / px;
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
                double v = _logP[x] + logE[EncoderIndex(x, z)];
                _work[x] = v;
                max = Math.Max(max, v);
            }

            double total = 0;
            for (int x = 0; x < nx; x++)
            {
                double w = Math.Exp(_work[x] - max);
                LogD[EncoderIndex(x, z)] = _work[x];
                _work[x] = w;
                total += w;
            }

            double logM = max + Math.Log(total);
            LogM[z] = logM;
            for (int x = 0; x < nx; x++)
            {
                LogD[EncoderIndex(x, z)] -= logM;
            }

            // c(y|z) = Σ_x p(y|x) p(x) e(z|x) / m(z) = Σ_x p(y|x) w(x) / Σ_x w(x).
            for (int y = 0; y < ny; y++)
            {
                double sum = 0;
                for (int x = 0; x < nx; x++)
                {
                    sum += PYGivenX[LabelIndex(x, y)] * _work[x];
                }

                LogC[ClassifierIndex(z, y)] = Math.Log(sum / total);
            }
        }
    }

    /// <summary>The solution for the encoder log e: its tables, its functionals as the definitions read them, and the closed forms.</summary>
    public ExactSolution ToSolution(Multipliers multipliers, double[] logE, int iterations, bool converged, double change)
    {
        var (encoder, marginal, decoder, classifier) = LinearTables(logE);
        var (rate, distortion, classification) = Functionals(logE, encoder);
        return new ExactSolution(
            multipliers,
            rate,
            distortion,
            classification,
            InputInformation(encoder, marginal),
            LabelInformation(encoder, marginal),
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

    /// <summary>e(z|x) as [x, z], m(z), d(x|z) as [z, x] and c(y|z) as [z, y], out of log space.</summary>
    private (double[,] Encoder, double[] Marginal, double[,] Decoder, double[,] Classifier) LinearTables(double[] logE)
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
                encoder[x, z] = Math.Exp(logE[EncoderIndex(x, z)]);
                decoder[z, x] = Math.Exp(LogD[EncoderIndex(x, z)]);
            }

            for (int y = 0; y < ny; y++)
            {
                classifier[z, y] = Math.Exp(LogC[ClassifierIndex(z, y)]);
            }
        }

        return (encoder, marginal, decoder, classifier);
    }

    /// <summary>R, D, C as the definitions read them, with the block-optimal m, d, c.</summary>
    private (double Rate, double Distortion, double Classification) Functionals(double[] logE, double[,] encoder)
    {
        double rate = 0;
        double distortion = 0;
        double classification = 0;
        for (int x = 0; x < InputCount; x++)
        {
            double px = _source.InputProbability(x);
            for (int z = 0; z < LatentSize; z++)
            {
                double e = encoder[x, z];
                if (e == 0)
                {
                    continue;
                }

                int i = EncoderIndex(x, z);
                rate += px * e * (logE[i] - LogM[z]);
                distortion -= px * e * LogD[i];
                for (int y = 0; y < LabelCount; y++)
                {
                    double pxy = _source.Probability(x, y);
                    if (pxy > 0)
                    {
                        classification -= pxy * e * LogC[ClassifierIndex(z, y)];
                    }
                }
            }
        }

        return (rate, distortion, classification);
    }

    /// <summary>I(x;z) from the joint q(x, z) = p(x) e(z|x) in linear space (the closed form of R).</summary>
    private double InputInformation(double[,] encoder, double[] marginal)
    {
        double ixz = 0;
        for (int x = 0; x < InputCount; x++)
        {
            double px = _source.InputProbability(x);
            for (int z = 0; z < LatentSize; z++)
            {
                double q = px * encoder[x, z];
                if (q > 0 && marginal[z] > 0)
                {
                    ixz += q * Math.Log(q / (px * marginal[z]));
                }
            }
        }

        return ixz;
    }

    /// <summary>I(y;z) from the joint q(y, z) = Σ_x p(x, y) e(z|x) in linear space.</summary>
    private double LabelInformation(double[,] encoder, double[] marginal)
    {
        double iyz = 0;
        for (int y = 0; y < LabelCount; y++)
        {
            double py = 0;
            for (int x = 0; x < InputCount; x++)
            {
                py += _source.Probability(x, y);
            }

            for (int z = 0; z < LatentSize; z++)
            {
                double q = 0;
                for (int x = 0; x < InputCount; x++)
                {
                    q += _source.Probability(x, y) * encoder[x, z];
                }

                if (q > 0 && marginal[z] > 0)
                {
                    iyz += q * Math.Log(q / (py * marginal[z]));
                }
            }
        }

        return iyz;
    }

    /// <summary>The index of (x, z) in the flat encoder and decoder tables, [x·|Z| + z].</summary>
    public int EncoderIndex(int x, int z) => (x * LatentSize) + z;

    /// <summary>The index of (z, y) in the flat classifier table, [z·|Y| + y].</summary>
    public int ClassifierIndex(int z, int y) => (z * LabelCount) + y;

    /// <summary>The index of (x, y) in the flat p(y|x) table, [x·|Y| + y].</summary>
    public int LabelIndex(int x, int y) => (x * LabelCount) + y;
}
