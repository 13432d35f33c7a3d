using FreeEnergy.Core.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Internal;

/// <summary>
/// The root module holding the encoder, decoder, prior and classifier. Its registered field names are the
/// keys of the saved state: renaming a field breaks existing checkpoints.
/// </summary>
internal sealed class RateDistortionNetwork : nn.Module
{
    private readonly GaussianEncoder encoder;
    private readonly nn.Module<Tensor, Tensor> decoder;
    private readonly PriorModule prior;
    private readonly Linear classifier;

    public RateDistortionNetwork(ModelConfiguration configuration)
        : base(nameof(RateDistortionNetwork))
    {
        encoder = NetworkFactory.CreateEncoder(configuration);
        decoder = NetworkFactory.CreateDecoder(configuration);
        prior = configuration.Prior == PriorKind.GaussianMixture
            ? new GaussianMixturePrior(configuration.MixtureComponents, configuration.LatentSize)
            : new StandardNormalPrior();
        classifier = nn.Linear(configuration.LatentSize, configuration.Classes);
        RegisterComponents();
    }

    public GaussianEncoder Encoder => encoder;

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // TorchSharp's Module.Dispose releases the module's own parameters and buffers, not its children's.
            encoder.Dispose();
            decoder.Dispose();
            prior.Dispose();
            classifier.Dispose();
        }

        base.Dispose(disposing);
    }

    public nn.Module<Tensor, Tensor> Decoder => decoder;

    public PriorModule Prior => prior;

    public Linear Classifier => classifier;

    /// <summary>
    /// Re-initialises every weight from <paramref name="generator"/>, so that the seed alone fixes them:
    /// linear and convolution weights and biases uniform in ±1/√fan_in (torch's default bounds), batch
    /// norms at identity, mixture means standard normal.
    /// </summary>
    public void Initialize(Generator generator)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (_, module) in named_modules())
        {
            (Tensor? weight, Tensor? bias, long fanIn) = module switch
            {
                Linear l => (l.weight, l.bias, l.weight!.shape[1]),
                Conv2d c => (c.weight, c.bias, c.weight!.shape[1] * c.weight.shape[2] * c.weight.shape[3]),
                ConvTranspose2d t => (t.weight, t.bias, t.weight!.shape[1] * t.weight.shape[2] * t.weight.shape[3]),
                _ => (null, null, 0L),
            };
            if (weight is null)
            {
                continue;
            }

            double bound = 1.0 / Math.Sqrt(fanIn);
            weight.copy_(rand(weight.shape, generator: generator).TimesInPlace(2 * bound).MinusInPlace(bound));
            bias?.copy_(rand(bias.shape, generator: generator).TimesInPlace(2 * bound).MinusInPlace(bound));
        }

        if (prior is GaussianMixturePrior mixture)
        {
            mixture.Initialize(generator);
        }
    }
}
