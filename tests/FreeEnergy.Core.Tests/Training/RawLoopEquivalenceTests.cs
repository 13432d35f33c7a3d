using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FreeEnergy.Core.Tests.Training;

/// <summary>
/// The library's loss and training step against the same computation written by hand with plain TorchSharp
/// functions on copies of the model's weights: what the overhead benchmark's raw loop relies on
/// (benchmarks/FreeEnergy.Benchmarks/RawTrainingLoop.cs).
/// </summary>
public class RawLoopEquivalenceTests
{
    private const long Seed = 9;
    private static readonly Multipliers M = new(1.5, 2);

    private static RateDistortionModel Model(int samples) =>
        RateDistortionModel.CreateBuilder().WithInputShape(1, 4, 4).WithClasses(3).WithMlp(8).WithLatentSize(2).WithSamples(samples).WithSeed(Seed).Build();

    /// <summary>J by hand: encoder, reparameterised z, Bernoulli decoder (BCE with logits), cross-entropy, analytic KL.</summary>
    private static Tensor RawObjective(Dictionary<string, Tensor> w, Tensor x, Tensor y, Generator noise, int samples)
    {
        long batch = x.shape[0];
        var h = F.relu(F.linear(x.flatten(1), w["encoder.features.1.weight"], w["encoder.features.1.bias"]));
        var mean = F.linear(h, w["encoder.mean.weight"], w["encoder.mean.bias"]);
        var logVariance = F.linear(h, w["encoder.logVariance.weight"], w["encoder.logVariance.bias"]);
        var epsilon = randn([samples, batch, 2], generator: noise);
        var z = (mean.unsqueeze(0) + ((logVariance * 0.5).exp().unsqueeze(0) * epsilon)).reshape(samples * batch, 2);
        var logits = F.linear(F.relu(F.linear(z, w["decoder.0.weight"], w["decoder.0.bias"])), w["decoder.2.weight"], w["decoder.2.bias"]).reshape(samples, batch, -1);
        var target = x.reshape(1, batch, -1).expand(samples, batch, -1);
        var distortion = F.binary_cross_entropy_with_logits(logits, target, reduction: nn.Reduction.None).sum(-1);
        var classification = F.cross_entropy(F.linear(z, w["classifier.weight"], w["classifier.bias"]), y.repeat(samples), reduction: nn.Reduction.None).reshape(samples, batch);
        var rate = (mean.square() + logVariance.exp() - 1 - logVariance).sum(-1) * 0.5;
        return (rate + (distortion.mean([0]) * M.Lambda) + (classification.mean([0]) * M.Gamma)).mean();
    }

    private static Dictionary<string, Tensor> CopyOfWeights(RateDistortionModel model) =>
        model.Network.named_parameters().ToDictionary(p => p.name, p => (Tensor)new Parameter(p.parameter.detach().clone()));

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void TheLossOfOneBatchEqualsTheHandWrittenLoss(int samples)
    {
        using var data = TestData.Prototypes(16, 3, 21);
        using var model = Model(samples);
        using var scope = NewDisposeScope();
        var weights = CopyOfWeights(model);
        using var libraryNoise = new Generator(5);
        using var rawNoise = new Generator(5);

        float library = model.Forward(data.Inputs, data.Labels, libraryNoise).Objective(M).item<float>();
        float raw = RawObjective(weights, data.Inputs, data.Labels, rawNoise, samples).item<float>();

        Assert.Equal(raw, library, 1e-5 * Math.Abs(raw));
    }

    [Fact]
    public void OneEpochOfTrainingEqualsHandWrittenAdamStepsOnTheSameBatchesAndNoise()
    {
        const int Samples = 2;
        const long ShuffleSeed = 40;
        using var data = TestData.Prototypes(24, 3, 22);
        using var model = Model(Samples);
        using var scope = NewDisposeScope();
        var weights = CopyOfWeights(model);

        new EquilibriumTrainer().WithClassicRelaxation().WithAdam(1e-2, 0.8, 0.99).WithBatchSize(8).WithShuffleSeed(ShuffleSeed)
            .WithConvergence(window: 1, relativeTolerance: 1e-9, maxEpochs: 1).WithTrainingDataEvaluation(false)
            .Train(model, M, data);

        // The trainer shuffles with a generator seeded (shuffle seed + 2) and draws training noise from the
        // model's generator seeded (model seed + 1): the same streams by hand.
        using var shuffle = new Generator(ShuffleSeed + 2);
        using var noise = new Generator(Seed + 1);
        using var optimizer = optim.Adam(weights.Values.Cast<Parameter>(), 1e-2, 0.8, 0.99);
        var order = randperm(24, generator: shuffle);
        for (int start = 0; start < 24; start += 8)
        {
            var index = order.narrow(0, start, 8);
            optimizer.zero_grad();
            RawObjective(weights, data.Inputs.index_select(0, index), data.Labels.index_select(0, index), noise, Samples).backward();
            optimizer.step();
        }

        foreach (var (name, parameter) in model.Network.named_parameters())
        {
            double difference = (parameter.detach() - weights[name]).abs().max().item<float>();
            Assert.True(difference <= 1e-6, $"{name}: largest difference {difference}");
        }
    }
}
