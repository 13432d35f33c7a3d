using FreeEnergy.Core.Internal;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Tests.Training;

/// <summary>
/// The library's Adam (LeanAdam, with its one-pass CPU kernel) against TorchSharp's <c>optim.Adam</c>: the same bits
/// after several steps, for sizes that exercise the vector loops, their scalar tails and several tiles.
/// </summary>
public class LeanAdamTests
{
    // 1, 7, 10: scalar only; 16, 33: one vector and a tail; 401,408 (784×512) and 100,003: many tiles of 4,096.
    private static readonly long[][] Shapes = [[1], [7], [10], [16], [33], [512, 784], [100_003]];

    /// <summary>Random parameters with gradients of mixed magnitudes, exact zeros and tiny values, drawn from a seed.</summary>
    private static (Parameter[] Parameters, Tensor[][] Gradients) Problem(ScalarType dtype, int steps, long seed)
    {
        using var generator = new Generator((ulong)seed);
        var parameters = Shapes.Select(s => new Parameter(randn(s, dtype: dtype, generator: generator))).ToArray();
        var gradients = Enumerable.Range(0, steps).Select(_ => Shapes.Select(s =>
        {
            var g = randn(s, dtype: dtype, generator: generator) * exp(randn(s, dtype: dtype, generator: generator) * 4);
            var zero = rand(s, dtype: dtype, generator: generator) < 0.1;
            var tiny = rand(s, dtype: dtype, generator: generator) < 0.05;
            return where(zero, zeros_like(g), where(tiny, g * 1e-30, g));
        }).ToArray()).ToArray();
        return (parameters, gradients);
    }

    /// <summary>Whether two tensors hold the same bits (so −0 ≠ +0 and NaN payloads count).</summary>
    private static bool SameBits(Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape))
        {
            return false;
        }

        return a.dtype == ScalarType.Float64
            ? a.detach().data<double>().ToArray().Select(BitConverter.DoubleToInt64Bits).SequenceEqual(b.detach().data<double>().ToArray().Select(BitConverter.DoubleToInt64Bits))
            : a.detach().data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).SequenceEqual(b.detach().data<float>().ToArray().Select(BitConverter.SingleToInt32Bits));
    }

    private static Parameter[] Copy(Parameter[] parameters) => [.. parameters.Select(p => new Parameter(p.detach().clone()))];

    private static void SetGradients(Parameter[] parameters, Tensor[] gradients)
    {
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i].grad = gradients[i].clone();
        }
    }

    [Theory]
    [InlineData(1e-3, 0.9, 0.999)]
    [InlineData(3e-2, 0.8, 0.99)]
    public void FloatParametersGetTheBitsOfTorchSharpsAdam(double learningRate, double beta1, double beta2)
    {
        const int Steps = 6;
        using var scope = NewDisposeScope();
        var (reference, gradients) = Problem(ScalarType.Float32, Steps, 11);
        var library = Copy(reference);
        using var torchSharp = optim.Adam(reference, learningRate, beta1, beta2);
        using var lean = new LeanAdam([(library, learningRate)], beta1, beta2);
        Assert.True(FusedAdamKernel.Applies(library[5], gradients[0][5], library[5], library[5]));
        for (int step = 0; step < Steps; step++)
        {
            SetGradients(reference, gradients[step]);
            SetGradients(library, gradients[step]);
            torchSharp.step();
            lean.Step();
        }

        for (int i = 0; i < reference.Length; i++)
        {
            Assert.True(SameBits(reference[i], library[i]), $"parameter of shape [{string.Join(", ", Shapes[i])}]: largest difference {(reference[i] - library[i]).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void DoubleParametersTakeTheTensorPathWithTheSameResult()
    {
        const int Steps = 3;
        using var scope = NewDisposeScope();
        var (reference, gradients) = Problem(ScalarType.Float64, Steps, 13);
        var library = Copy(reference);
        Assert.False(FusedAdamKernel.Applies(library[0], gradients[0][0], library[0], library[0]));
        using var torchSharp = optim.Adam(reference, 1e-3, 0.9, 0.999);
        using var lean = new LeanAdam([(library, 1e-3)], 0.9, 0.999);
        for (int step = 0; step < Steps; step++)
        {
            SetGradients(reference, gradients[step]);
            SetGradients(library, gradients[step]);
            torchSharp.step();
            lean.Step();
        }

        Assert.All(reference.Zip(library), pair => Assert.True(SameBits(pair.First, pair.Second)));
    }
}
