using FreeEnergy.Core.Models;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Internal;

/// <summary>Builds the encoder and decoder networks of a <see cref="ModelConfiguration"/>.</summary>
internal static class NetworkFactory
{
    public static GaussianEncoder CreateEncoder(ModelConfiguration c) => c.Architecture switch
    {
        EncoderArchitecture.Mlp => CreateMlpEncoder(c),
        EncoderArchitecture.Conv => CreateConvEncoder(c),
        _ => throw new ArgumentOutOfRangeException(nameof(c), c.Architecture, "Unknown architecture."),
    };

    public static nn.Module<Tensor, Tensor> CreateDecoder(ModelConfiguration c) => c.Architecture switch
    {
        EncoderArchitecture.Mlp => CreateMlpDecoder(c),
        EncoderArchitecture.Conv => CreateConvDecoder(c),
        _ => throw new ArgumentOutOfRangeException(nameof(c), c.Architecture, "Unknown architecture."),
    };

    private static GaussianEncoder CreateMlpEncoder(ModelConfiguration c)
    {
        var layers = new List<nn.Module<Tensor, Tensor>> { nn.Flatten() };
        long width = c.InputElements;
        foreach (int hidden in c.HiddenSizes)
        {
            layers.Add(nn.Linear(width, hidden));
            layers.Add(nn.ReLU());
            width = hidden;
        }

        return new GaussianEncoder(nn.Sequential(layers), width, c.LatentSize);
    }

    private static nn.Module<Tensor, Tensor> CreateMlpDecoder(ModelConfiguration c)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        long width = c.LatentSize;
        foreach (int hidden in c.HiddenSizes.Reverse())
        {
            layers.Add(nn.Linear(width, hidden));
            layers.Add(nn.ReLU());
            width = hidden;
        }

        layers.Add(nn.Linear(width, c.InputElements));
        layers.Add(nn.Unflatten(1, c.InputShape.Select(s => (long)s).ToArray()));
        return nn.Sequential(layers);
    }

    /// <summary>The authors' DCGAN-style encoder (theory.md §5), for C×28×28 or C×32×32 inputs.</summary>
    private static GaussianEncoder CreateConvEncoder(ModelConfiguration c)
    {
        long channels = c.InputShape[0];
        bool mnistSized = c.InputShape[1] == 28;
        var features = nn.Sequential(
            nn.Conv2d(channels, 64, 4, stride: 2, padding: 1L),
            nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 4, stride: 2, padding: 1L),
            nn.BatchNorm2d(128),
            nn.LeakyReLU(0.2),
            mnistSized ? nn.Conv2d(128, 256, 3, stride: 2, padding: 1L) : nn.Conv2d(128, 256, 4, stride: 2, padding: 1L),
            nn.BatchNorm2d(256),
            nn.LeakyReLU(0.2),
            nn.Conv2d(256, 1024, 4, stride: 1, padding: 0L),
            nn.BatchNorm2d(1024),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(1024, 512),
            nn.LeakyReLU(0.2));
        return new GaussianEncoder(features, 512, c.LatentSize);
    }

    /// <summary>The authors' decoder: linear k→512→1024, then transposed convolutions back to the input shape.</summary>
    private static nn.Module<Tensor, Tensor> CreateConvDecoder(ModelConfiguration c)
    {
        long channels = c.InputShape[0];
        bool mnistSized = c.InputShape[1] == 28;
        return nn.Sequential(
            nn.Linear(c.LatentSize, 512),
            nn.ReLU(),
            nn.Linear(512, 1024),
            nn.ReLU(),
            nn.Unflatten(1, [1024, 1, 1]),
            nn.ConvTranspose2d(1024, 512, 4, stride: 1, padding: 0L),
            nn.BatchNorm2d(512),
            nn.ReLU(),
            mnistSized ? nn.ConvTranspose2d(512, 256, 3, stride: 2, padding: 1L) : nn.ConvTranspose2d(512, 256, 4, stride: 2, padding: 1L),
            nn.BatchNorm2d(256),
            nn.ReLU(),
            nn.ConvTranspose2d(256, 128, 4, stride: 2, padding: 1L),
            nn.BatchNorm2d(128),
            nn.ReLU(),
            nn.ConvTranspose2d(128, channels, 4, stride: 2, padding: 1L));
    }
}
