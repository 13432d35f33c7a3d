using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Tests.Training;

/// <summary>The relaxation options of issue 13: weight averaging, the cooldown, the polish and the variance-head learning rate.</summary>
public class RelaxationTests(ITestOutputHelper output)
{
    private static RateDistortionModel SmallModel(long seed = 4) =>
        RateDistortionModel.CreateBuilder().WithInputShape(1, 4, 4).WithClasses(3).WithMlp(16).WithLatentSize(3).WithSamples(2).WithSeed(seed).Build();

    /// <summary>Every remedy at once, on a short budget.</summary>
    private static EquilibriumTrainer AllRemedies(int epochs) =>
        new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithConvergence(window: 1, relativeTolerance: 1e-9, maxEpochs: epochs)
            .WithWeightAveraging(1).WithCooldown(1).WithPolish(1, 64, 0.5).WithVarianceHeadLearningRate(2);

    /// <remarks>
    /// The fixture, rule and assertions of <see cref="Models.GaussianSourceTests"/> (16,384 samples each, λ = 2, relative
    /// change of J below 3e-4 over 5 epochs, three learning-rate cuts by 0.3), with weight averaging over 1 epoch
    /// and a 3-epoch cooldown after the plateau; the same tolerances: F within 1%,
    /// R within 5%, each dimension's squared error within 10% of min(1/λ, s_i²).
    /// </remarks>
    [Fact]
    public void TheNewRelaxationLandsOnTheShannonRateDistortionFunction()
    {
        var trainer = new EquilibriumTrainer().WithWeightAveraging(1).WithCooldown(3).WithAdam(1e-2).WithBatchSize(256)
            .WithConvergence(window: 5, relativeTolerance: 3e-4, maxEpochs: 300).WithLearningRateDecay(0.3, 3);
        var result = Models.GaussianSourceTests.TrainAndAssertTheKnownAnswer(trainer, 2.0, output);
        Assert.True(result.Epochs > 3, "the cooldown ran after the plateau");
    }

    /// <summary>
    /// Same data, model seeds and number of epochs (12, fixed): weight averaging with the cooldown ends at a lower J on
    /// the evaluation data than the classic constant-rate trainer, for each of three seeds.
    /// </summary>
    [Fact]
    public void OnSmallDataTheNewRelaxationReachesALowerObjectiveInTheSameEpochs()
    {
        const int Epochs = 12;
        using var train = TestData.Prototypes(512, 3, 30);
        using var evaluation = TestData.Prototypes(256, 3, 31);
        var m = new Multipliers(2, 2);
        EquilibriumTrainer Fixed() => new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32)
            .WithFixedEpochs(Epochs).WithTrainingDataEvaluation(false);
        foreach (long seed in new long[] { 4, 5, 6 })
        {
            using var classicModel = SmallModel(seed);
            using var newModel = SmallModel(seed);
            var classic = Fixed().WithClassicRelaxation().Train(classicModel, m, train, evaluation);
            var relaxed = Fixed().WithWeightAveraging(1).WithCooldown(3).Train(newModel, m, train, evaluation);
            output.WriteLine($"seed {seed}: classic J = {classic.FreeEnergy:F4}, new J = {relaxed.FreeEnergy:F4}");
            Assert.Equal(Epochs, classic.Epochs);
            Assert.Equal(Epochs, relaxed.Epochs);
            Assert.True(relaxed.FreeEnergy < classic.FreeEnergy, $"seed {seed}: new J {relaxed.FreeEnergy} is not below classic J {classic.FreeEnergy}");
        }
    }

    [Fact]
    public void TheCooldownStartsAtThePlateauAndLeavesTheEpochsBeforeItUntouched()
    {
        using var data = TestData.Prototypes(256, 3, 3);
        EquilibriumTrainer Rule() => new EquilibriumTrainer().WithClassicRelaxation().WithAdam(3e-3).WithBatchSize(32).WithConvergence(window: 2, relativeTolerance: 0.05, maxEpochs: 100);
        using var classicModel = SmallModel();
        using var cooledModel = SmallModel();
        var classic = Rule().Train(classicModel, new Multipliers(1, 1), data);
        var cooled = Rule().WithCooldown(2).Train(cooledModel, new Multipliers(1, 1), data);

        Assert.True(classic.Converged);
        Assert.True(cooled.Converged);
        Assert.Equal(classic.Epochs + 2, cooled.Epochs);
        Assert.Equal(classic.ObjectiveHistory, cooled.ObjectiveHistory.Take(classic.Epochs));

        // Without a plateau in time, the tail still runs and ends at the cap; the rule was not met.
        using var cappedModel = SmallModel();
        var capped = new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(32).WithFixedEpochs(4)
            .WithCooldown(2).WithPolish(1).Train(cappedModel, new Multipliers(1, 1), data);
        Assert.Equal(4, capped.Epochs);
        Assert.False(capped.Converged);
    }

    [Fact]
    public void TheModelEndsWithTheAveragedWeightsThatWereEvaluated()
    {
        using var data = TestData.Prototypes(128, 3, 13);
        using var model = SmallModel();
        var result = AllRemedies(4).Train(model, new Multipliers(1, 2), data);
        Assert.Equal(4, result.Epochs);
        Assert.Equal(model.Evaluate(data), result.Evaluation);
        Assert.Equal(result.Evaluation, result.Training);
    }

    [Fact]
    public void TheConvolutionalModelAveragesItsBatchNormBuffers()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        using var data = new Core.Data.LabeledTensorDataset(rand([8, 1, 28, 28], generator: generator), randint(10, [8], generator: generator));
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithConvolutional().WithSamples(1).Build();
        var result = new EquilibriumTrainer().WithBatchSize(4).WithConvergence(maxEpochs: 2).WithWeightAveraging(1).Train(model, new Multipliers(1, 1), data);
        Assert.True(double.IsFinite(result.FreeEnergy));
        Assert.Equal(model.Evaluate(data), result.Evaluation);
    }

    [Fact]
    public void RepeatedTrainingWithEveryRemedyLeavesTheLiveTensorCountUnchanged() =>
        EquilibriumTrainerTests.AssertRepeatedTrainingKeepsTheLiveTensorCount(AllRemedies(4));

    [Fact]
    public void BadRelaxationArgumentsAreRejectedAtOnce()
    {
        var trainer = new EquilibriumTrainer();
        Assert.Equal("epochs", Assert.Throws<ArgumentOutOfRangeException>(() => trainer.WithWeightAveraging(-1)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.WithWeightAveraging(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.WithWeightAveraging(double.PositiveInfinity));
        Assert.Equal("epochs", Assert.Throws<ArgumentOutOfRangeException>(() => trainer.WithCooldown(-1)).ParamName);
        Assert.Equal("finalFactor", Assert.Throws<ArgumentOutOfRangeException>(() => trainer.WithCooldown(2, 0)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.WithCooldown(2, 1.5));
        Assert.Equal("epochs", Assert.Throws<ArgumentOutOfRangeException>(() => trainer.WithPolish(-1)).ParamName);
        Assert.Equal("batchSize", Assert.Throws<ArgumentOutOfRangeException>(() => trainer.WithPolish(1, 0)).ParamName);
        Assert.Equal("learningRateFactor", Assert.Throws<ArgumentOutOfRangeException>(() => trainer.WithPolish(1, 8, -2)).ParamName);
        Assert.Equal("factor", Assert.Throws<ArgumentOutOfRangeException>(() => trainer.WithVarianceHeadLearningRate(0)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.WithVarianceHeadLearningRate(double.NaN));

        // Nothing was changed by the rejected calls; the classic relaxation switches everything off.
        var classic = new EquilibriumTrainer().WithWeightAveraging(2).WithCooldown(4, 0.1).WithPolish(2, 100, 0.5).WithVarianceHeadLearningRate(3).WithClassicRelaxation();
        Assert.Equal((0.0, 0, 0, 1.0), (classic.AveragingEpochs, classic.CooldownEpochs, classic.PolishEpochs, classic.VarianceHeadLearningRateFactor));
        Assert.Equal((new EquilibriumTrainer().AveragingEpochs, new EquilibriumTrainer().CooldownEpochs), (trainer.AveragingEpochs, trainer.CooldownEpochs));
    }
}
