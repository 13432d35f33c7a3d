namespace FreeEnergy.Core.Models;

/// <summary>The likelihood d(x|z) of the decoder, which defines the distortion D = −E log d(x|z).</summary>
public enum DecoderLikelihood
{
    /// <summary>
    /// Independent Bernoulli per element with the decoder's logits (binary cross-entropy); for inputs in [0, 1].
    /// </summary>
    Bernoulli = 0,

    /// <summary>
    /// Independent Gaussian per element with the decoder's output as mean and a fixed σ; D includes the
    /// normalising constant ½·P·ln(2πσ²) for P input elements.
    /// </summary>
    Gaussian = 1,
}
