using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;

namespace FreeEnergy.Core.Tests.Models;

public class RateDistortionModelBuilderTests
{
    [Fact]
    public void BuildReportsEveryProblemAtOnceAndAllocatesNothing()
    {
        FreeEnergyRuntime.EnsureBackend();
        long before = FreeEnergyRuntime.LiveTensorCount;
        var builder = RateDistortionModel.CreateBuilder()
            .WithInputShape(1, 0, 28).WithClasses(0).WithLatentSize(0).WithSamples(0)
            .WithMlp(64, -1).WithGaussianDecoder(sigma: -1).WithMixturePrior(0).OnDevice("gpu7");

        var ex = Assert.Throws<FreeEnergyConfigurationException>(builder.Build);

        Assert.Equal(8, ex.Problems.Count);
        Assert.Contains(ex.Problems, p => p.Contains("input dimension", StringComparison.Ordinal) && p.Contains("[1, 0, 28]", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.Contains("classes", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.Contains("latent size", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.Contains("K, the number of samples", StringComparison.Ordinal) && p.Contains("got 0", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.Contains("hidden width", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.Contains(" σ ", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.Contains("component", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.Contains("gpu7", StringComparison.Ordinal));
        Assert.Contains("8 problems", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, FreeEnergyRuntime.LiveTensorCount);
    }

    [Fact]
    public void MissingInputShapeAndWrongConvolutionalShapeAreReported()
    {
        var missing = Assert.Throws<FreeEnergyConfigurationException>(() => RateDistortionModel.CreateBuilder().Build());
        Assert.Contains("WithInputShape", missing.Message, StringComparison.Ordinal);
        var conv = Assert.Throws<FreeEnergyConfigurationException>(() => RateDistortionModel.CreateBuilder().WithInputShape(1, 20, 20).WithConvolutional().Build());
        Assert.Contains("[C, 28, 28] or [C, 32, 32]", conv.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AskingForCudaWithoutABackendNamesThePackageToAdd()
    {
        if (TorchSharp.torch.cuda.is_available())
        {
            return; // The message is only reachable on machines without CUDA.
        }

        var ex = Assert.Throws<FreeEnergyBackendException>(() => RateDistortionModel.CreateBuilder().WithInputShape(4).OnDevice("cuda:0").Build());
        Assert.Equal(BackendFailureCause.CudaUnavailable, ex.Cause);
        Assert.Contains("TorchSharp-cuda-linux", ex.Message, StringComparison.Ordinal);
        Assert.Contains("FreeEnergy.Core.Cuda", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BuilderRecordsEveryChoiceInTheConfiguration()
    {
        using var model = RateDistortionModel.CreateBuilder()
            .WithInputShape(1, 4, 4).WithClasses(5).WithMlp(8, 6).WithLatentSize(3).WithSamples(4)
            .WithGaussianDecoder(0.5).WithMixturePrior(2).WithSeed(9).OnDevice(TorchSharp.torch.CPU).Build();
        var c = model.Configuration;
        Assert.Equal([1, 4, 4], c.InputShape);
        Assert.Equal(5, c.Classes);
        Assert.Equal([8, 6], c.HiddenSizes);
        Assert.Equal(3, c.LatentSize);
        Assert.Equal(4, model.Samples);
        Assert.Equal(DecoderLikelihood.Gaussian, c.Likelihood);
        Assert.Equal(0.5, c.GaussianSigma);
        Assert.Equal(PriorKind.GaussianMixture, c.Prior);
        Assert.Equal(2, c.MixtureComponents);
        Assert.Equal(9, c.Seed);
        Assert.Equal("cpu", c.Device);
        // encoder 16→8→6 + heads 6→3 twice; decoder 3→6→8→16; prior 2×3 + 2×3 + 2; classifier 3→5.
        long expected = (16 * 8) + 8 + (8 * 6) + 6 + (2 * ((6 * 3) + 3)) + (3 * 6) + 6 + (6 * 8) + 8 + (8 * 16) + 16 + 14 + (3 * 5) + 5;
        Assert.Equal(expected, model.ParameterCount);
    }

    [Fact]
    public void AbsurdSizesAndLabelsOutOfRangeAreRefusedBeforeTheyReachLibtorch()
    {
        // Issue 17: these reached the allocator, or libtorch with a C++ stack trace.
        long before = FreeEnergyRuntime.LiveTensorCount;
        var huge = Assert.Throws<FreeEnergyConfigurationException>(() => RateDistortionModel.CreateBuilder().WithInputShape(4).WithClasses(2).WithMlp(int.MaxValue).WithLatentSize(1_000_000_000).Build());
        Assert.Contains(huge.Problems, p => p.Contains("hidden width", StringComparison.Ordinal) && p.Contains("2,147,483,647", StringComparison.Ordinal));
        Assert.Contains(huge.Problems, p => p.Contains("latent size", StringComparison.Ordinal) && p.Contains("1,000,000,000", StringComparison.Ordinal));
        var heavy = Assert.Throws<FreeEnergyConfigurationException>(() => RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithMlp(1 << 20, 1 << 20).Build());
        Assert.Contains("weights", heavy.Message, StringComparison.Ordinal);
        Assert.Equal(before, FreeEnergyRuntime.LiveTensorCount);

        using var model = RateDistortionModel.CreateBuilder().WithInputShape(4).WithClasses(3).WithMlp(8).WithLatentSize(2).Build();
        using var scope = TorchSharp.torch.NewDisposeScope();
        var inputs = TorchSharp.torch.zeros(2, 4);
        var ex = Assert.Throws<ArgumentException>(() => model.Forward(inputs, TorchSharp.torch.tensor(new long[] { 0, 5 })));
        Assert.Equal("labels", ex.ParamName);
        Assert.Contains("[0, 3)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("got 5", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => model.Forward(inputs, TorchSharp.torch.tensor(new long[] { -1, 0 })));
    }
}
