using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace FreeEnergy.Datasets;

/// <summary>
/// An optional step after normalisation that makes every pixel 0 or 1: either a fixed threshold, or
/// stochastic binarisation (each pixel is 1 with probability equal to its value in [0, 1]), drawn once at
/// load time from a generator seeded with a given seed, so the same seed gives the same dataset.
/// </summary>
/// <remarks>
/// Binarised inputs suit a Bernoulli decoder likelihood. Stochastic binarisation is the usual choice for
/// binarised MNIST; it is applied once, when the dataset is built, not per epoch.
/// </remarks>
public sealed class Binarization
{
    private Binarization(double? threshold, long? seed)
    {
        Threshold = threshold;
        Seed = seed;
    }

    /// <summary>The fixed threshold t (a pixel x becomes 1 when x ≥ t, else 0), or null for stochastic binarisation.</summary>
    public double? Threshold { get; }

    /// <summary>The seed of stochastic binarisation, or null for a fixed threshold.</summary>
    public long? Seed { get; }

    /// <summary>Whether pixels are drawn at random (Bernoulli with the pixel value as probability).</summary>
    public bool IsStochastic => Seed.HasValue;

    /// <summary>
    /// A fixed threshold: a pixel x in [0, 1] becomes 1 when x ≥ <paramref name="threshold"/>, else 0. With the
    /// default 0.5, pixel bytes 128–255 become 1 and 0–127 become 0.
    /// </summary>
    /// <param name="threshold">The threshold, in (0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threshold"/> is not in (0, 1].</exception>
    public static Binarization AtThreshold(double threshold = 0.5)
    {
        if (!(threshold > 0 && threshold <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The binarisation threshold must be in (0, 1].");
        }

        return new Binarization(threshold, null);
    }

    /// <summary>
    /// Stochastic binarisation: each pixel x in [0, 1] becomes 1 with probability x, drawn from a torch
    /// generator seeded with <paramref name="seed"/>. The same seed gives the same pixels.
    /// </summary>
    /// <param name="seed">The seed of the draw.</param>
    public static Binarization Stochastic(long seed) => new(null, seed);

    /// <inheritdoc />
    public override string ToString() => IsStochastic
        ? string.Create(CultureInfo.InvariantCulture, $"stochastic (seed {Seed})")
        : string.Create(CultureInfo.InvariantCulture, $"threshold {Threshold}");

    /// <summary>Returns a new float32 tensor of 0s and 1s in the current dispose scope.</summary>
    internal Tensor Apply(Tensor pixels)
    {
        if (Seed is long seed)
        {
            using var generator = new Generator(unchecked((ulong)seed));
            return bernoulli(pixels, generator);
        }

        // Held in a using: TorchSharp's implicit number-to-Scalar conversion leaves the native Scalar to a finalizer that
        // another thread's garbage collection can run while libtorch still reads it.
        using var threshold = Threshold!.Value.ToScalar();
        using var above = pixels.ge(threshold);
        return above.to_type(ScalarType.Float32);
    }
}
