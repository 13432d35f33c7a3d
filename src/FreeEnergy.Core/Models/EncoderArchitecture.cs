namespace FreeEnergy.Core.Models;

/// <summary>The network family of the encoder and decoder.</summary>
public enum EncoderArchitecture
{
    /// <summary>Multi-layer perceptron on the flattened input (ReLU hidden layers). The CPU default.</summary>
    Mlp = 0,

    /// <summary>
    /// The authors' DCGAN-style convolutional encoder and transposed-convolution decoder (LeakyReLU 0.2,
    /// BatchNorm); inputs of C×28×28 or C×32×32.
    /// </summary>
    Conv = 1,
}
