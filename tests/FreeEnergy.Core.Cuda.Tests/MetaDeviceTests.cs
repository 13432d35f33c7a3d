using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Cuda.Tests;

/// <summary>
/// torch's "meta" device holds shapes but no data, and refuses to mix with CPU tensors, so running the model
/// there catches any tensor the library creates on the wrong device without needing a GPU.
/// </summary>
/// <remarks>
/// What meta cannot check, for principled reasons: (1) libtorch's C++ build has no meta kernels for some
/// operators the model uses: ReLU, log-sigmoid (the Bernoulli decoder's BCE with logits), abs (inside
/// logsumexp, used by the mixture prior) and convolutions; their meta versions live in Python's
/// torch._meta_registrations, which TorchSharp does not have. The forward pass is therefore run on meta with
/// the configuration whose operators all have meta kernels (linear maps, Gaussian decoder, standard normal
/// prior); the other parts are checked for placement only. (2) Datasets, Evaluate, training and checkpoints
/// read values (validation, logging, saving), and a meta tensor has none. (3) Random draws on meta ignore the
/// generator, so meta cannot catch a generator on the wrong device; the CPU-generator rule is covered by the
/// CUDA tests in <see cref="DeviceAgnosticTests"/>.
/// </remarks>
public sealed class MetaDeviceTests
{
    private static readonly Device Meta = TestDevices.Meta;

    [Fact]
    public void MetaRefusesToMixWithCpuTensors()
    {
        using var scope = NewDisposeScope();
        var error = Assert.ThrowsAny<Exception>(() => zeros(3, device: Meta) + zeros(3));
        Assert.Contains("same device", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> Architectures => ["mlp-normal", "mlp-mixture", "conv"];

    [Theory]
    [MemberData(nameof(Architectures))]
    public void EveryParameterAndBufferOfAModelBuiltOnMetaIsOnMeta(string architecture)
    {
        var builder = RateDistortionModel.CreateBuilder().WithClasses(3).OnDevice("meta");
        builder = architecture switch
        {
            "mlp-normal" => builder.WithInputShape(4).WithMlp(8, 6),
            "mlp-mixture" => builder.WithInputShape(4).WithMlp(8).WithMixturePrior(3),
            _ => builder.WithInputShape(1, 28, 28).WithConvolutional(),
        };
        using var model = builder.Build();
        Assert.Equal(DeviceType.META, model.Device.type);
        var tensors = model.Network.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(model.Network.named_buffers()).ToList();
        Assert.NotEmpty(tensors);
        Assert.All(tensors, t => Assert.True(t.Item2.device_type == DeviceType.META, $"{t.Item1} is on {t.Item2.device}"));
        if (architecture == "conv")
        {
            Assert.Contains(tensors, t => t.Item1.EndsWith("running_mean", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheForwardPassObjectiveAndGradientsStayOnMeta(bool inputsOnCpu)
    {
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(2, 3).WithClasses(4).WithMlp().WithLatentSize(5)
            .WithSamples(3).WithGaussianDecoder(0.5).OnDevice("meta").Build();
        using var scope = NewDisposeScope();
        var inputs = rand(7, 2, 3);
        var labels = zeros(7, dtype: ScalarType.Int64);
        if (!inputsOnCpu)
        {
            inputs = inputs.to(Meta);
            labels = labels.to(Meta);
        }

        using var terms = model.Forward(inputs, labels);
        foreach (var (name, tensor, shape) in new[]
        {
            ("rate", terms.Rate, new long[] { 7 }),
            ("distortion", terms.Distortion, new long[] { 3, 7 }),
            ("classification", terms.Classification, new long[] { 3, 7 }),
            ("correct", terms.Correct, new long[] { 3, 7 }),
        })
        {
            Assert.True(tensor.device_type == DeviceType.META, $"{name} is on {tensor.device}");
            Assert.Equal(shape, tensor.shape);
        }

        var objective = terms.Objective(new Multipliers(2, 3));
        var sums = terms.Sums();
        Assert.Equal(DeviceType.META, objective.device_type);
        Assert.Equal(DeviceType.META, sums.device_type);
        Assert.Equal([4L], sums.shape);
        objective.backward();
        Assert.All(model.Network.parameters(), p => Assert.Equal(DeviceType.META, p.grad!.device_type));
    }

    [Fact]
    public void TheMixturePriorsDensitiesStayOnMeta()
    {
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(4).WithClasses(3).WithMlp().WithLatentSize(5).WithMixturePrior(3).OnDevice("meta").Build();
        using var scope = NewDisposeScope();
        var (mean, logVariance) = model.Network.Encoder.call(rand(6, 4).to(Meta));
        var z = mean.unsqueeze(0) + randn([2, 6, 5], device: Meta);
        var prior = model.Network.Prior;
        var means = prior.named_parameters().Single(p => p.name == "means").parameter;
        var logVariances = prior.named_parameters().Single(p => p.name == "logVariances").parameter;
        var perComponent = PriorModule.DiagonalGaussianLogDensity(z.unsqueeze(-2), means, logVariances);
        Assert.Equal(DeviceType.META, perComponent.device_type);
        Assert.Equal([2L, 6, 3], perComponent.shape);
        var logEncoder = PriorModule.DiagonalGaussianLogDensity(z, mean, logVariance);
        Assert.Equal(DeviceType.META, logEncoder.device_type);
    }
}
