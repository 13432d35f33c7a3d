using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Tests.Models;

/// <summary>
/// The known answer of theory.md §2: for x ~ N(0, diag s²), a Gaussian decoder with σ = 1 and prior
/// N(0, I), the equilibrium has per-dimension squared error min(1/λ, s_i²), R*(λ) = Σ max(0, ½ ln(λ s_i²))
/// and D*(λ) = Σ ½ min(1/λ, s_i²) + (n/2) ln 2π.
/// </summary>
public class GaussianSourceTests(ITestOutputHelper output)
{
    private static readonly double[] Scales = [2.0, 1.0, 0.5, 0.25];

    /// <remarks>
    /// λ = 2 and λ = 8 keep every dimension away from the water-filling threshold 1/λ = s_i², where
    /// convergence is slowest. The convergence rule is tight (relative change of J below 3e-4 over 5 epochs,
    /// then the learning rate is cut 3 times by 0.3): with a looser rule (2e-3 over 3 epochs) F was already
    /// within 0.3% but the split of distortion between dimensions 0 and 1 was off by 25%, because J is flat
    /// in that direction. Tolerances: the reference is the population answer while training and evaluation
    /// use 16,384 samples each, whose per-dimension variances scatter by about √(2/16384) ≈ 1.1%, plus
    /// Adam's noise floor. F must be within 1% and R within 5% (the issue's bar for a well-trained model),
    /// each dimension's squared error within 10% of min(1/λ, s_i²). Measured (seeded, 1 thread):
    /// λ = 2: R 1.3791 vs 1.3863 (0.5%), F 10.0487 vs 10.0503 (0.02%), squared errors within 1.2%;
    /// λ = 8: R 3.1119 vs 3.1192 (0.2%), F 34.2791 vs 34.2752 (0.01%), squared errors within 2.5%.
    /// </remarks>
    [Theory]
    [InlineData(2.0)]
    [InlineData(8.0)]
    public void TrainingLandsOnTheShannonRateDistortionFunction(double lambda)
    {
        var trainer = new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(256)
            .WithConvergence(window: 5, relativeTolerance: 3e-4, maxEpochs: 300).WithLearningRateDecay(0.3, 3);
        TrainAndAssertTheKnownAnswer(trainer, lambda, output);
    }

    /// <summary>
    /// The fixture and the assertions of this test for any trainer: trains the Gaussian-source model at (λ, 0) and
    /// checks convergence, F within 1%, R within 5% and every dimension's squared error within 10% of the known answer.
    /// </summary>
    internal static TrainingResult TrainAndAssertTheKnownAnswer(EquilibriumTrainer trainer, double lambda, ITestOutputHelper output)
    {
        using var train = TestData.GaussianSource(Scales, 16384, 7);
        using var evaluation = TestData.GaussianSource(Scales, 16384, 8);
        using var model = RateDistortionModel.CreateBuilder()
            .WithInputShape(4).WithClasses(1).WithMlp().WithLatentSize(4).WithSamples(4)
            .WithGaussianDecoder(1.0).WithSeed(3).Build();
        var multipliers = new Multipliers(lambda, 0);

        var result = trainer.Train(model, multipliers, train, evaluation);

        double rStar = Scales.Sum(s => Math.Max(0, 0.5 * Math.Log(lambda * s * s)));
        double dStar = Scales.Sum(s => 0.5 * Math.Min(1 / lambda, s * s)) + (Scales.Length / 2.0 * Math.Log(2 * Math.PI));
        double fStar = rStar + (lambda * dStar);
        double[] mse = PerDimensionSquaredError(model, evaluation);
        output.WriteLine($"λ = {lambda}: {result.Epochs} epochs, R = {result.Evaluation.Rate:F4} (R* = {rStar:F4}), D = {result.Evaluation.Distortion:F4} (D* = {dStar:F4}), F = {result.FreeEnergy:F4} (F* = {fStar:F4}), mse = [{string.Join(", ", mse.Select(m => m.ToString("F4")))}]");

        Assert.True(result.Converged);
        Assert.InRange(Math.Abs(result.FreeEnergy - fStar) / fStar, 0, 0.01);
        Assert.InRange(Math.Abs(result.Evaluation.Rate - rStar) / rStar, 0, 0.05);
        for (int i = 0; i < Scales.Length; i++)
        {
            double expected = Math.Min(1 / lambda, Scales[i] * Scales[i]);
            Assert.InRange(Math.Abs(mse[i] - expected) / expected, 0, 0.10);
        }

        return result;
    }

    /// <summary>Mean squared reconstruction error per input dimension, over the K samples.</summary>
    private static double[] PerDimensionSquaredError(RateDistortionModel model, Core.Data.LabeledTensorDataset data)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(11);
        var network = model.Network;
        var (mean, logVariance) = network.Encoder.call(data.Inputs);
        var z = mean + ((logVariance * 0.5).exp() * randn(mean.shape, generator: generator));
        var reconstruction = network.Decoder.call(z);
        return (reconstruction - data.Inputs).square().mean([0]).to(ScalarType.Float64).data<double>().ToArray();
    }
}
