using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Tests.Models;

public class FunctionalTermsTests
{
    [Fact]
    public void AnalyticKlMatchesMonteCarloEstimate()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(5);
        var mean = randn([3, 4], dtype: ScalarType.Float64, generator: generator);
        var logVariance = randn([3, 4], dtype: ScalarType.Float64, generator: generator) * 0.5;
        const int samples = 200_000;
        var z = mean.unsqueeze(0) + ((logVariance * 0.5).exp().unsqueeze(0) * randn([samples, 3, 4], dtype: ScalarType.Float64, generator: generator));
        using var prior = new StandardNormalPrior();
        var analytic = prior.Rate(mean, logVariance, z).data<double>().ToArray();

        var logEncoder = PriorModule.DiagonalGaussianLogDensity(z, mean, logVariance);
        var logPrior = PriorModule.DiagonalGaussianLogDensity(z, zeros_like(mean), zeros_like(logVariance));
        var monteCarlo = (logEncoder - logPrior).mean([0]).data<double>().ToArray();

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(analytic[i], monteCarlo[i], 0.02);
        }
    }

    [Fact]
    public void MixturePriorWithOneStandardComponentEstimatesTheAnalyticKl()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(6);
        var mean = randn([2, 3], dtype: ScalarType.Float32, generator: generator);
        var logVariance = randn([2, 3], dtype: ScalarType.Float32, generator: generator) * 0.3;
        var z = mean.unsqueeze(0) + ((logVariance * 0.5).exp().unsqueeze(0) * randn([100_000, 2, 3], generator: generator));
        using var mixture = new GaussianMixturePrior(1, 3); // one component at N(0, I) before Initialize
        using var standard = new StandardNormalPrior();

        var estimate = mixture.Rate(mean, logVariance, z).data<float>().ToArray();
        var exact = standard.Rate(mean, logVariance, z).data<float>().ToArray();

        Assert.Equal(exact[0], estimate[0], 0.03);
        Assert.Equal(exact[1], estimate[1], 0.03);
        Assert.False(mixture.IsAnalytic);
    }

    [Fact]
    public void GaussianDistortionIsTheFullNegativeLogLikelihoodIncludingItsConstant()
    {
        const double sigma = 0.7;
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(3).WithClasses(2).WithMlp(5).WithLatentSize(2).WithSamples(2).WithGaussianDecoder(sigma).Build();
        ZeroDecoder(model, bias: 0.0);
        using var scope = NewDisposeScope();
        var x = tensor(new float[,] { { 0.5f, -1f, 2f }, { 0f, 0.25f, -0.5f } });
        using var terms = model.Forward(x, tensor(new long[] { 0, 1 }));

        double[] expected = [
            (0.5 * (0.25 + 1 + 4) / (sigma * sigma)) + (1.5 * Math.Log(2 * Math.PI * sigma * sigma)),
            (0.5 * (0 + 0.0625 + 0.25) / (sigma * sigma)) + (1.5 * Math.Log(2 * Math.PI * sigma * sigma)),
        ];
        var d = terms.Distortion.to(ScalarType.Float64).data<double>().ToArray(); // [K = 2, B = 2]
        Assert.Equal(expected[0], d[0], 5);
        Assert.Equal(expected[1], d[1], 5);
        Assert.Equal(expected[0], d[2], 5);
        Assert.Equal(expected[1], d[3], 5);
    }

    [Fact]
    public void BernoulliDistortionIsBinaryCrossEntropyOnKnownInputs()
    {
        const double logit = 0.8;
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(4).WithClasses(2).WithMlp(3).WithLatentSize(2).Build();
        ZeroDecoder(model, bias: logit);
        using var scope = NewDisposeScope();
        float[] pixels = [0f, 1f, 1f, 0.25f];
        using var terms = model.Forward(tensor(pixels).reshape(1, 4), tensor(new long[] { 1 }));

        double p = 1 / (1 + Math.Exp(-logit));
        double expected = pixels.Sum(x => -((x * Math.Log(p)) + ((1 - x) * Math.Log(1 - p))));
        Assert.Equal(expected, terms.Distortion.to(ScalarType.Float64).item<double>(), 5);
    }

    [Fact]
    public void ClassificationLossIsCrossEntropyOfTheLinearHeadInNats()
    {
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(2).WithClasses(3).WithMlp().WithLatentSize(2).Build();
        using (no_grad())
        {
            model.Network.Classifier.weight!.zero_();
            model.Network.Classifier.bias!.copy_(tensor(new float[] { 0f, 1f, 2f }));
        }

        using var scope = NewDisposeScope();
        using var terms = model.Forward(zeros(1, 2), tensor(new long[] { 0 }));
        double logSum = Math.Log(1 + Math.E + (Math.E * Math.E));
        Assert.Equal(logSum, terms.Classification.to(ScalarType.Float64).item<double>(), 5);
        Assert.Equal(0.0, terms.Correct.item<float>());
    }

    [Fact]
    public void FunctionalsConvertNatsToBitsAndComputeTheObjective()
    {
        var f = new Functionals(Rate: 2 * Math.Log(2), Distortion: Math.Log(2), Classification: 3 * Math.Log(2), Accuracy: 0.5, Count: 10);
        Assert.Equal(2.0, f.RateBits, 12);
        Assert.Equal(1.0, f.DistortionBits, 12);
        Assert.Equal(3.0, f.ClassificationBits, 12);
        Assert.Equal(f.Rate + (2 * f.Distortion) + (0.5 * f.Classification), f.Objective(new Multipliers(2, 0.5)), 12);
#pragma warning disable CS0618 // Functionals.FreeEnergy(m), the old name of Objective, kept because the docs used it.
        Assert.Equal(f.Objective(new Multipliers(2, 0.5)), f.FreeEnergy(new Multipliers(2, 0.5)));
#pragma warning restore CS0618
    }

    [Fact]
    public void BatchObjectiveIsTheMeanOfRatePlusWeightedSampleMeans()
    {
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 4, 4).WithClasses(3).WithMlp(8).WithLatentSize(3).WithSamples(5).Build();
        using var data = TestData.Prototypes(6, 3, 2);
        using var scope = NewDisposeScope();
        using var terms = model.Forward(data.Inputs, data.Labels);
        var m = new Multipliers(1.5, 0.25);
        double expected = (terms.Rate + (terms.Distortion.mean([0]) * 1.5) + (terms.Classification.mean([0]) * 0.25)).mean().item<float>();
        Assert.Equal(expected, terms.Objective(m).item<float>(), 4);
        Assert.Equal(6, terms.BatchSize);
        Assert.Equal(5, terms.Samples);
    }

    private static void ZeroDecoder(RateDistortionModel model, double bias)
    {
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.Network.Decoder.named_parameters())
        {
            if (name.EndsWith("bias", StringComparison.Ordinal))
            {
                parameter.fill_(bias);
            }
            else
            {
                parameter.zero_();
            }
        }
    }
}
