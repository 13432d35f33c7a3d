using static TorchSharp.torch;

namespace FreeEnergy.Core.Internal;

/// <summary>m(z) = N(0, I), with the analytic KL divergence ½·Σ(μ² + σ² − 1 − ln σ²).</summary>
internal sealed class StandardNormalPrior : PriorModule
{
    public StandardNormalPrior()
        : base(nameof(StandardNormalPrior))
    {
        RegisterComponents();
    }

    public override bool IsAnalytic => true;

    public override Tensor Rate(Tensor mean, Tensor logVariance, Tensor z)
    {
        using var terms = mean.Squared().PlusInPlace(logVariance.exp()).MinusInPlace(1.0).sub_(logVariance);
        return terms.sum(-1).TimesInPlace(0.5);
    }
}
