using System.Globalization;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Internal;
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
    internal static IReadOnlyList<string> Validate(ModelConfiguration c)
    {
        var problems = new ProblemList();
        CheckInputShape(c, problems);
        CheckSizes(c, problems);
        CheckKinds(c, problems);
        CheckLimits(c, problems);
        CheckDevice(c, problems);
        return problems.Problems;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>The input shape is set, every dimension is ≥ 1, and the convolutional encoder gets [C, 28, 28] or [C, 32, 32].</summary>
    private static void CheckInputShape(ModelConfiguration c, ProblemList problems)
    {
        var shape = c.InputShape;
        problems.Require(shape is { Count: > 0 }, "The input shape is not set: call WithInputShape, for example WithInputShape(1, 28, 28).");
        if (shape is not { Count: > 0 })
        {
            return;
        }

        bool positive = shape.All(s => s >= 1);
        problems.Require(positive, Inv($"Every input dimension must be ≥ 1; got {ModelConfiguration.Format(shape)}."));
        bool convShape = shape.Count == 3 && shape[0] >= 1 && ((shape[1] == 28 && shape[2] == 28) || (shape[1] == 32 && shape[2] == 32));
        problems.Require(!positive || c.Architecture != EncoderArchitecture.Conv || convShape, Inv($"The convolutional encoder takes inputs of shape [C, 28, 28] or [C, 32, 32]; got {ModelConfiguration.Format(shape)}."));
    }

    /// <summary>Classes, latent size, K and the hidden widths are ≥ 1; the Gaussian decoder's σ is finite and &gt; 0.</summary>
    private static void CheckSizes(ModelConfiguration c, ProblemList problems) => problems
        .Require(c.Classes >= 1, Inv($"The number of classes must be ≥ 1; got {c.Classes}."))
        .Require(c.LatentSize >= 1, Inv($"The latent size must be ≥ 1; got {c.LatentSize}."))
        .Require(c.Samples >= 1, Inv($"K, the number of samples of z per input, must be ≥ 1; got {c.Samples}."))
        .Require(c.HiddenSizes is not null && c.HiddenSizes.All(h => h >= 1), Inv($"Every hidden width must be ≥ 1; got {(c.HiddenSizes is null ? "null" : ModelConfiguration.Format(c.HiddenSizes))}."))
        .Require(c.Likelihood != DecoderLikelihood.Gaussian || Guard.IsPositive(c.GaussianSigma), Inv($"The Gaussian decoder's σ must be finite and > 0; got {c.GaussianSigma}."));

    /// <summary>The likelihood, architecture and prior are known values; a mixture prior has ≥ 1 component.</summary>
    private static void CheckKinds(ModelConfiguration c, ProblemList problems) => problems
        .Require(Enum.IsDefined(c.Likelihood), Inv($"Unknown decoder likelihood {(int)c.Likelihood}."))
        .Require(Enum.IsDefined(c.Architecture), Inv($"Unknown architecture {(int)c.Architecture}."))
        .Require(Enum.IsDefined(c.Prior), Inv($"Unknown prior {(int)c.Prior}."))
        .Require(c.Prior != PriorKind.GaussianMixture || c.MixtureComponents >= 1, Inv($"The mixture prior needs ≥ 1 component; got {c.MixtureComponents}."));

    /// <summary>Absurd sizes are reported here instead of reaching the allocator (int.MaxValue widths, a latent of 10⁹).</summary>
    private static void CheckLimits(ModelConfiguration c, ProblemList problems)
    {
        void AtMost(string what, long value, long largest) =>
            problems.Require(value <= largest, Inv($"{what} must be at most {largest:N0}; got {value:N0}."));

        AtMost("The number of classes", c.Classes, MaxWidth);
        AtMost("The latent size", c.LatentSize, MaxWidth);
        AtMost("K, the number of samples of z per input,", c.Samples, MaxSamples);
        AtMost("The number of mixture components", c.Prior == PriorKind.GaussianMixture ? c.MixtureComponents : 0, MaxSamples);
        if (c.InputShape is { Count: > 0 } shape && shape.All(d => d >= 1))
        {
            AtMost("The number of elements of one input", c.InputElements, MaxWidth * 16);
        }

        if (c.HiddenSizes is not { } hidden || !hidden.All(h => h >= 1))
        {
            return;
        }

        foreach (int width in hidden.Where(h => h > MaxWidth).Distinct())
        {
            AtMost("Every hidden width", width, MaxWidth);
        }

        // Counted only when nothing else is wrong, so that a size already reported as absurd is not reported twice.
        if (problems.Problems.Count == 0 && c.Architecture == EncoderArchitecture.Mlp)
        {
            double weights = MlpWeights(c);
            problems.Require(!(weights > MaxWeights), Inv($"The model would have {weights:E2} weights ({weights * 4 / 1e9:F1} GB in float32, twice that again for Adam); the builder accepts at most {MaxWeights:E0}. Use smaller hidden widths or a smaller latent size."));
        }
    }

    /// <summary>The device is set and is a device name ("cpu", "cuda", "cuda:N").</summary>
    private static void CheckDevice(ModelConfiguration c, ProblemList problems)
    {
        bool set = !string.IsNullOrWhiteSpace(c.Device);
        problems
            .Require(set, "The device is not set; use \"cpu\" or \"cuda:N\".")
            .Require(!set || IsDeviceName(c.Device), $"'{c.Device}' is not a device name; use \"cpu\", \"cuda\" or \"cuda:N\".");
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
