using FreeEnergy.Core.Exact;

namespace FreeEnergy.Core.Tests.Exact;

/// <summary>Information quantities recomputed in the tests from the source and a solution's encoder alone (nats).</summary>
internal static class ClosedForms
{
    /// <summary>I(x;z) from q(x, z) = p(x) e(z|x).</summary>
    public static double InputInformation(DiscreteSource source, ExactSolution solution)
    {
        var e = solution.Encoder;
        var px = source.InputMarginal;
        var m = Marginal(source, solution);
        double info = 0;
        for (int x = 0; x < source.InputCount; x++)
        {
            for (int z = 0; z < solution.LatentSize; z++)
            {
                double q = px[x] * e[x, z];
                if (q > 0)
                {
                    info += q * Math.Log(q / (px[x] * m[z]));
                }
            }
        }

        return info;
    }

    /// <summary>H(y|z) from q(y, z) = Σ_x p(x, y) e(z|x).</summary>
    public static double LabelGivenLatentEntropy(DiscreteSource source, ExactSolution solution)
    {
        var e = solution.Encoder;
        var joint = source.Joint;
        var m = Marginal(source, solution);
        double h = 0;
        for (int z = 0; z < solution.LatentSize; z++)
        {
            for (int y = 0; y < source.LabelCount; y++)
            {
                double q = 0;
                for (int x = 0; x < source.InputCount; x++)
                {
                    q += joint[x, y] * e[x, z];
                }

                if (q > 0)
                {
                    h -= q * Math.Log(q / m[z]);
                }
            }
        }

        return h;
    }

    /// <summary>m(z) = Σ_x p(x) e(z|x).</summary>
    public static double[] Marginal(DiscreteSource source, ExactSolution solution)
    {
        var e = solution.Encoder;
        var m = new double[solution.LatentSize];
        for (int x = 0; x < source.InputCount; x++)
        {
            for (int z = 0; z < solution.LatentSize; z++)
            {
                m[z] += source.InputProbability(x) * e[x, z];
            }
        }

        return m;
    }

    /// <summary>
    /// One e-step of theory.md §2 in linear space from the solution's own m, d, c:
    /// e'(z|x) ∝ m(z)·d(x|z)^λ·exp(γ·Σ_y p(y|x)·log c(y|z)). At a fixed point e' = e.
    /// </summary>
    public static double MaxFixedPointDefect(DiscreteSource source, ExactSolution solution)
    {
        var e = solution.Encoder;
        var m = solution.Marginal;
        var d = solution.Decoder;
        var c = solution.Classifier;
        var pyx = source.LabelGivenInput;
        double worst = 0;
        var w = new double[solution.LatentSize];
        for (int x = 0; x < source.InputCount; x++)
        {
            // Scores relative to the state the encoder prefers, so nothing overflows for large λ, γ.
            double max = double.NegativeInfinity;
            for (int z = 0; z < solution.LatentSize; z++)
            {
                if (m[z] == 0 || d[z, x] == 0)
                {
                    w[z] = double.NegativeInfinity;
                    continue;
                }

                double expected = 0;
                for (int y = 0; y < source.LabelCount; y++)
                {
                    if (pyx[x, y] > 0)
                    {
                        expected += pyx[x, y] * Math.Log(c[z, y]);
                    }
                }

                w[z] = Math.Log(m[z]) + (solution.Lambda * Math.Log(d[z, x])) + (solution.Gamma * expected);
                max = Math.Max(max, w[z]);
            }

            double total = w.Sum(v => Math.Exp(v - max));
            for (int z = 0; z < solution.LatentSize; z++)
            {
                worst = Math.Max(worst, Math.Abs((Math.Exp(w[z] - max) / total) - e[x, z]));
            }
        }

        return worst;
    }
}
