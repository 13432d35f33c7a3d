using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Internal;

/// <summary>
/// A learnable mixture of diagonal Gaussians m(z) = Σ_m π_m N(z; μ_m, diag σ_m²). The rate is the
/// Monte-Carlo estimate mean over the K samples of log e(z|x) − log m(z).
/// </summary>
internal sealed class GaussianMixturePrior : PriorModule
{
    private readonly Parameter means;
    private readonly Parameter logVariances;
    private readonly Parameter logits;

    public GaussianMixturePrior(int components, int latentSize)
        : base(nameof(GaussianMixturePrior))
    {
        means = nn.Parameter(zeros(components, latentSize));
        logVariances = nn.Parameter(zeros(components, latentSize));
        logits = nn.Parameter(zeros(components));
        RegisterComponents();
    }

    public override bool IsAnalytic => false;

    /// <summary>Spreads the component means with draws from <paramref name="generator"/> (standard normal).</summary>
    public void Initialize(Generator generator)
    {
        using var noGrad = no_grad();
        using var draw = randn(means.shape, generator: generator);
        means.copy_(draw);
    }

    public override Tensor Rate(Tensor mean, Tensor logVariance, Tensor z)
    {
        using var scope = NewDisposeScope();
        var logEncoder = DiagonalGaussianLogDensity(z, mean, logVariance); // [K, B]
        var perComponent = DiagonalGaussianLogDensity(z.unsqueeze(-2), means, logVariances); // [K, B, M]
        var logWeights = nn.functional.log_softmax(logits, 0);
        var logPrior = perComponent.Plus(logWeights).logsumexp(-1); // [K, B]
        return (logEncoder - logPrior).mean([0]).MoveToOuterDisposeScope();
    }
}
