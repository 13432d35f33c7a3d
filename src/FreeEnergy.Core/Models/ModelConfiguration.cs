using System.Globalization;
using System.Text.Json.Serialization;

namespace FreeEnergy.Core.Models;

/// <summary>
/// The complete, immutable description of a <see cref="RateDistortionModel"/>: everything needed to
/// rebuild it (saved as the JSON header of a checkpoint). Build one with <see cref="RateDistortionModelBuilder"/>.
/// </summary>
public sealed record ModelConfiguration
{
    /// <summary>The shape of one input, without the batch dimension (for example [1, 28, 28] or [4]).</summary>
    public IReadOnlyList<int> InputShape { get; init; } = [];

    /// <summary>The number of classes of the linear softmax classifier (1 makes C identically 0).</summary>
    public int Classes { get; init; }

    /// <summary>The encoder/decoder network family.</summary>
    public EncoderArchitecture Architecture { get; init; } = EncoderArchitecture.Mlp;

    /// <summary>Hidden layer widths of the MLP encoder (the decoder mirrors them). Empty means linear maps.</summary>
    public IReadOnlyList<int> HiddenSizes { get; init; } = [512, 256];

    /// <summary>The dimension k of the latent code z.</summary>
    public int LatentSize { get; init; } = 16;

    /// <summary>K, the number of reparameterised samples of z per input (the authors use 8).</summary>
    public int Samples { get; init; } = 1;

    /// <summary>The decoder likelihood.</summary>
    public DecoderLikelihood Likelihood { get; init; } = DecoderLikelihood.Bernoulli;

    /// <summary>The fixed standard deviation σ of the Gaussian decoder (ignored for Bernoulli).</summary>
    public double GaussianSigma { get; init; } = 1.0;

    /// <summary>The prior m(z).</summary>
    public PriorKind Prior { get; init; } = PriorKind.StandardNormal;

    /// <summary>The number of components of the mixture prior (ignored for the standard normal).</summary>
    public int MixtureComponents { get; init; } = 10;

    /// <summary>The seed of the model's private generators (weights, z-noise).</summary>
    public long Seed { get; init; } = 1;

    /// <summary>The torch device, as TorchSharp writes it ("cpu", "cuda", "cuda:1").</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>The number of elements of one input.</summary>
    [JsonIgnore]
    public long InputElements => InputShape.Aggregate(1L, (a, b) => a * b);

    /// <summary>
    /// The differences in network structure between this configuration and <paramref name="other"/>, one
    /// sentence each (seed and device are not structure). Empty when weights of one fit the other.
    /// </summary>
    public IReadOnlyList<string> StructuralDifferences(ModelConfiguration other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var differences = new List<string>();
        void Compare<T>(string name, T mine, T theirs)
        {
            if (!EqualityComparer<T>.Default.Equals(mine, theirs))
            {
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: this model has {mine}, the other has {theirs}"));
            }
        }

        Compare(nameof(InputShape), Format(InputShape), Format(other.InputShape));
        Compare(nameof(Classes), Classes, other.Classes);
        Compare(nameof(Architecture), Architecture, other.Architecture);
        if (Architecture == EncoderArchitecture.Mlp && other.Architecture == EncoderArchitecture.Mlp)
        {
            Compare(nameof(HiddenSizes), Format(HiddenSizes), Format(other.HiddenSizes));
        }

        Compare(nameof(LatentSize), LatentSize, other.LatentSize);
        Compare(nameof(Likelihood), Likelihood, other.Likelihood);
        Compare(nameof(Prior), Prior, other.Prior);
        if (Prior == PriorKind.GaussianMixture && other.Prior == PriorKind.GaussianMixture)
        {
            Compare(nameof(MixtureComponents), MixtureComponents, other.MixtureComponents);
        }

        return differences;
    }

    /// <summary>Writes a shape or width list as [a, b, c].</summary>
    internal static string Format(IReadOnlyList<int> values) => "[" + string.Join(", ", values) + "]";
}
