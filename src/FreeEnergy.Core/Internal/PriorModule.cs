using static TorchSharp.torch;

namespace FreeEnergy.Core.Internal;

/// <summary>A prior m(z) that can measure the rate KL(e(z|x) ‖ m) of a diagonal Gaussian encoder.</summary>
internal abstract class PriorModule : nn.Module
{
    protected PriorModule(string name)
        : base(name)
    {
    }

    /// <summary>
    /// The rate per example in nats, shape [B], for encoder moments <paramref name="mean"/> and
    /// <paramref name="logVariance"/> of shape [B, k] and the reparameterised samples <paramref name="z"/>
    /// of shape [K, B, k] drawn from them.
    /// </summary>
    public abstract Tensor Rate(Tensor mean, Tensor logVariance, Tensor z);

    /// <summary>Whether <see cref="Rate"/> is exact (analytic) rather than a Monte-Carlo estimate over the samples.</summary>
    public abstract bool IsAnalytic { get; }

    /// <summary>log N(z; mean, diag exp(logVariance)) summed over the last dimension.</summary>
    internal static Tensor DiagonalGaussianLogDensity(Tensor z, Tensor mean, Tensor logVariance)
    {
        const double LogTwoPi = 1.8378770664093454835606594728112;
        using var diff = z - mean;
        using var scaled = diff.Squared().mul_(logVariance.neg().exp_());
        using var terms = scaled.PlusInPlace(logVariance).PlusInPlace(LogTwoPi);
        return terms.sum(-1).TimesInPlace(-0.5);
    }
}
