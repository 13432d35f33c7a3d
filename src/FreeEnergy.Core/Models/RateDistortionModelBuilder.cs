using System.Globalization;
using FreeEnergy.Core.Diagnostics;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace FreeEnergy.Core.Models;

/// <summary>
/// Fluent builder of a <see cref="RateDistortionModel"/>. Every setter only records a value;
/// <see cref="Build"/> validates them all and reports every problem at once.
/// </summary>
/// <example>
/// <code>
/// using var model = RateDistortionModel.CreateBuilder()
///     .WithInputShape(1, 28, 28)
///     .WithClasses(10)
///     .WithMlp(512, 256)
///     .WithLatentSize(16)
///     .WithSamples(8)
///     .WithSeed(1)
///     .Build();
/// </code>
/// </example>
public sealed class RateDistortionModelBuilder
{
    private ModelConfiguration configuration = new() { Classes = 10 };
    private ILogger? logger;

    /// <summary>The configuration recorded so far (not yet validated).</summary>
    public ModelConfiguration Configuration => configuration;

    /// <summary>Starts from an existing configuration (for example one read from a checkpoint header).</summary>
    public RateDistortionModelBuilder FromConfiguration(ModelConfiguration value)
    {
        ArgumentNullException.ThrowIfNull(value);
        configuration = value;
        return this;
    }

    /// <summary>The shape of one input without the batch dimension, for example (1, 28, 28) or (4).</summary>
    public RateDistortionModelBuilder WithInputShape(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        configuration = configuration with { InputShape = [.. shape] };
        return this;
    }

    /// <summary>The number of classes of the classifier (default 10; 1 makes C identically 0).</summary>
    public RateDistortionModelBuilder WithClasses(int classes)
    {
        configuration = configuration with { Classes = classes };
        return this;
    }

    /// <summary>An MLP encoder with these hidden widths; the decoder mirrors them (default 512, 256). No widths: linear maps.</summary>
    public RateDistortionModelBuilder WithMlp(params int[] hiddenSizes)
    {
        ArgumentNullException.ThrowIfNull(hiddenSizes);
        configuration = configuration with { Architecture = EncoderArchitecture.Mlp, HiddenSizes = [.. hiddenSizes] };
        return this;
    }

    /// <summary>The authors' DCGAN-style convolutional encoder and decoder (inputs C×28×28 or C×32×32).</summary>
    public RateDistortionModelBuilder WithConvolutional()
    {
        configuration = configuration with { Architecture = EncoderArchitecture.Conv };
        return this;
    }

    /// <summary>The dimension k of z (default 16).</summary>
    public RateDistortionModelBuilder WithLatentSize(int latentSize)
    {
        configuration = configuration with { LatentSize = latentSize };
        return this;
    }

    /// <summary>K, the number of reparameterised samples of z per input (default 1; the authors use 8).</summary>
    public RateDistortionModelBuilder WithSamples(int samples)
    {
        configuration = configuration with { Samples = samples };
        return this;
    }

    /// <summary>A Bernoulli decoder (binary cross-entropy on inputs in [0, 1]); the default.</summary>
    public RateDistortionModelBuilder WithBernoulliDecoder()
    {
        configuration = configuration with { Likelihood = DecoderLikelihood.Bernoulli };
        return this;
    }

    /// <summary>A Gaussian decoder with fixed standard deviation <paramref name="sigma"/>; D includes ½·P·ln(2πσ²).</summary>
    public RateDistortionModelBuilder WithGaussianDecoder(double sigma = 1.0)
    {
        configuration = configuration with { Likelihood = DecoderLikelihood.Gaussian, GaussianSigma = sigma };
        return this;
    }

    /// <summary>The prior N(0, I) with the analytic rate; the default.</summary>
    public RateDistortionModelBuilder WithStandardNormalPrior()
    {
        configuration = configuration with { Prior = PriorKind.StandardNormal };
        return this;
    }

    /// <summary>A learnable mixture of <paramref name="components"/> diagonal Gaussians; Monte-Carlo rate.</summary>
    public RateDistortionModelBuilder WithMixturePrior(int components = 10)
    {
        configuration = configuration with { Prior = PriorKind.GaussianMixture, MixtureComponents = components };
        return this;
    }

    /// <summary>The device, as TorchSharp writes it: "cpu" (default), "cuda", "cuda:1".</summary>
    public RateDistortionModelBuilder OnDevice(string device)
    {
        configuration = configuration with { Device = device };
        return this;
    }

    /// <summary>The device.</summary>
    public RateDistortionModelBuilder OnDevice(torch.Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return OnDevice(device.ToString());
    }

    /// <summary>The seed of the weights and of the z-noise (default 1).</summary>
    public RateDistortionModelBuilder WithSeed(long seed)
    {
        configuration = configuration with { Seed = seed };
        return this;
    }

    /// <summary>A logger for the model (default: none).</summary>
    public RateDistortionModelBuilder WithLogger(ILogger? value)
    {
        logger = value;
        return this;
    }

    /// <summary>
    /// Validates the configuration and builds the model. The caller owns (and disposes) the model.
    /// </summary>
    /// <exception cref="FreeEnergyConfigurationException">One or more settings are invalid; all are listed. Nothing was allocated.</exception>
    /// <exception cref="FreeEnergyBackendException">TorchSharp's native backend cannot be loaded, or the device is not available.</exception>
    public RateDistortionModel Build()
    {
        var problems = Validate(configuration);
        if (problems.Count > 0)
        {
            throw new FreeEnergyConfigurationException(problems);
        }

        FreeEnergyRuntime.EnsureBackend();
        EnsureDeviceAvailable(configuration.Device);
        return new RateDistortionModel(configuration, logger);
    }

    /// <summary>Throws a clear exception when <paramref name="deviceName"/> is a CUDA device this process cannot use.</summary>
    /// <exception cref="FreeEnergyBackendException">CUDA is not available, or the device index is out of range.</exception>
    internal static void EnsureDeviceAvailable(string deviceName)
    {
        var device = new torch.Device(deviceName);
        if (device.type == DeviceType.CUDA && !torch.cuda.is_available())
        {
            throw new FreeEnergyBackendException(
                BackendFailureCause.CudaUnavailable,
                $"The model asks for device '{deviceName}' but CUDA is not available: either the application references no CUDA backend "
                + "(add FreeEnergy.Core.Cuda built with -p:CudaBundle=linux or windows, or TorchSharp-cuda-linux / TorchSharp-cuda-windows 0.107.0) or the machine has no usable GPU. "
                + "Use OnDevice(\"cpu\") to run on the CPU, or load a checkpoint with device: \"cpu\".",
                null);
        }

        if (device.type == DeviceType.CUDA && device.index >= torch.cuda.device_count())
        {
            throw new FreeEnergyBackendException(
                BackendFailureCause.CudaUnavailable,
                $"The model asks for device '{deviceName}' but only {torch.cuda.device_count()} CUDA device(s) exist.",
                null);
        }
    }

    /// <summary>Every problem of <paramref name="c"/>, one sentence each; empty when it is valid.</summary>
    internal static List<string> Validate(ModelConfiguration c)
    {
        var problems = new List<string>();
        string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
        if (c.InputShape is null || c.InputShape.Count == 0)
        {
            problems.Add("The input shape is not set: call WithInputShape, for example WithInputShape(1, 28, 28).");
        }
        else if (c.InputShape.Any(s => s < 1))
        {
            problems.Add(Inv($"Every input dimension must be ≥ 1; got {ModelConfiguration.Format(c.InputShape)}."));
        }
        else if (c.Architecture == EncoderArchitecture.Conv
            && !(c.InputShape.Count == 3 && c.InputShape[0] >= 1 && ((c.InputShape[1] == 28 && c.InputShape[2] == 28) || (c.InputShape[1] == 32 && c.InputShape[2] == 32))))
        {
            problems.Add(Inv($"The convolutional encoder takes inputs of shape [C, 28, 28] or [C, 32, 32]; got {ModelConfiguration.Format(c.InputShape)}."));
        }

        if (c.Classes < 1)
        {
            problems.Add(Inv($"The number of classes must be ≥ 1; got {c.Classes}."));
        }

        if (c.LatentSize < 1)
        {
            problems.Add(Inv($"The latent size must be ≥ 1; got {c.LatentSize}."));
        }

        if (c.Samples < 1)
        {
            problems.Add(Inv($"K, the number of samples of z per input, must be ≥ 1; got {c.Samples}."));
        }

        if (c.HiddenSizes is null || c.HiddenSizes.Any(h => h < 1))
        {
            problems.Add(Inv($"Every hidden width must be ≥ 1; got {(c.HiddenSizes is null ? "null" : ModelConfiguration.Format(c.HiddenSizes))}."));
        }

        if (c.Likelihood == DecoderLikelihood.Gaussian && !(double.IsFinite(c.GaussianSigma) && c.GaussianSigma > 0))
        {
            problems.Add(Inv($"The Gaussian decoder's σ must be finite and > 0; got {c.GaussianSigma}."));
        }

        if (!Enum.IsDefined(c.Likelihood))
        {
            problems.Add(Inv($"Unknown decoder likelihood {(int)c.Likelihood}."));
        }

        if (!Enum.IsDefined(c.Architecture))
        {
            problems.Add(Inv($"Unknown architecture {(int)c.Architecture}."));
        }

        if (!Enum.IsDefined(c.Prior))
        {
            problems.Add(Inv($"Unknown prior {(int)c.Prior}."));
        }
        else if (c.Prior == PriorKind.GaussianMixture && c.MixtureComponents < 1)
        {
            problems.Add(Inv($"The mixture prior needs ≥ 1 component; got {c.MixtureComponents}."));
        }

        // Absurd sizes are reported here instead of reaching the allocator (int.MaxValue widths, a latent of 10⁹).
        void AtMost(string what, long value, long largest)
        {
            if (value > largest)
            {
                problems.Add(Inv($"{what} must be at most {largest:N0}; got {value:N0}."));
            }
        }

        AtMost("The number of classes", c.Classes, MaxWidth);
        AtMost("The latent size", c.LatentSize, MaxWidth);
        AtMost("K, the number of samples of z per input,", c.Samples, MaxSamples);
        AtMost("The number of mixture components", c.Prior == PriorKind.GaussianMixture ? c.MixtureComponents : 0, MaxSamples);
        if (c.InputShape is { Count: > 0 } shape && shape.All(d => d >= 1))
        {
            AtMost("The number of elements of one input", c.InputElements, MaxWidth * 16);
        }

        if (c.HiddenSizes is { } hidden && hidden.All(h => h >= 1))
        {
            foreach (int width in hidden.Where(h => h > MaxWidth).Distinct())
            {
                AtMost("Every hidden width", width, MaxWidth);
            }

            if (problems.Count == 0 && c.Architecture == EncoderArchitecture.Mlp && MlpWeights(c) is double weights && weights > MaxWeights)
            {
                problems.Add(Inv($"The model would have {weights:E2} weights ({weights * 4 / 1e9:F1} GB in float32, twice that again for Adam); the builder accepts at most {MaxWeights:E0}. Use smaller hidden widths or a smaller latent size."));
            }
        }

        if (string.IsNullOrWhiteSpace(c.Device))
        {
            problems.Add("The device is not set; use \"cpu\" or \"cuda:N\".");
        }
        else if (!IsDeviceName(c.Device))
        {
            problems.Add($"'{c.Device}' is not a device name; use \"cpu\", \"cuda\" or \"cuda:N\".");
        }

        return problems;
    }

    /// <summary>The largest accepted width (classes, latent size, hidden width): 2²⁰.</summary>
    private const long MaxWidth = 1 << 20;

    /// <summary>The largest accepted K and number of mixture components: 2¹⁶.</summary>
    private const long MaxSamples = 1 << 16;

    /// <summary>The largest accepted number of weights of an MLP model: 10⁹ (4 GB in float32).</summary>
    private const double MaxWeights = 1e9;

    /// <summary>The number of weights and biases of the MLP model (encoder, two heads, mirrored decoder, classifier), in double to avoid overflow.</summary>
    private static double MlpWeights(ModelConfiguration c)
    {
        double Layer(double from, double to) => (from * to) + to;
        double total = 0;
        double width = c.InputElements;
        foreach (int h in c.HiddenSizes)
        {
            total += 2 * Layer(width, h); // encoder layer and its mirror in the decoder
            width = h;
        }

        return total + (2 * Layer(width, c.LatentSize)) + Layer(c.LatentSize, width) + Layer(c.LatentSize, c.Classes);
    }

    private static bool IsDeviceName(string device)
    {
        string[] parts = device.Split(':');
        string[] known = ["cpu", "cuda", "mps", "meta"];
        return parts.Length switch
        {
            1 => known.Contains(parts[0]),
            2 => known.Contains(parts[0]) && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out _),
            _ => false,
        };
    }
}
