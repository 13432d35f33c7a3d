using static TorchSharp.torch;

namespace FreeEnergy.Core.Internal;

/// <summary>
/// A stochastic encoder e(z|x) = N(μ(x), diag exp(logvar(x))): a feature network followed by two linear heads.
/// </summary>
internal sealed class GaussianEncoder : nn.Module<Tensor, (Tensor Mean, Tensor LogVariance)>
{
    private readonly nn.Module<Tensor, Tensor> features;
    private readonly nn.Module<Tensor, Tensor> mean;
    private readonly nn.Module<Tensor, Tensor> logVariance;

    public GaussianEncoder(nn.Module<Tensor, Tensor> features, long featureSize, long latentSize)
        : base(nameof(GaussianEncoder))
    {
        this.features = features;
        mean = nn.Linear(featureSize, latentSize);
        logVariance = nn.Linear(featureSize, latentSize);
        RegisterComponents();
    }

    public override (Tensor Mean, Tensor LogVariance) forward(Tensor input)
    {
        using var h = features.call(input);
        return (mean.call(h), logVariance.call(h));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            features.Dispose();
            mean.Dispose();
            logVariance.Dispose();
        }

        base.Dispose(disposing);
    }
}
