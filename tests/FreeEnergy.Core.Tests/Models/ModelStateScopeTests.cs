using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Tests.Models;

/// <summary>The public scope that saves and restores a model's weights, training mode and z-noise.</summary>
public class ModelStateScopeTests
{
    private static RateDistortionModel SmallModel() =>
        RateDistortionModel.CreateBuilder().WithInputShape(1, 4, 4).WithClasses(3).WithMlp(16).WithLatentSize(3).WithSamples(2).WithSeed(3).Build();

    private static float[] Weights(RateDistortionModel model) =>
        [.. model.Network.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray())];

    private static float NextNoise(RateDistortionModel model)
    {
        using var draw = randn([1], generator: model.TrainingNoise);
        return draw.item<float>();
    }

    [Fact]
    public void DisposeRestoresWeightsModeAndNoiseBitForBitAndRestoreCanBeRepeated()
    {
        using var model = SmallModel();
        using var data = TestData.Prototypes(64, 3, 5);
        var trainer = new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(16).WithFixedEpochs(1).WithTrainingDataEvaluation(false);
        model.Network.eval();
        var before = Weights(model);
        float noise;
        using (var copy = SmallModel())
        {
            noise = NextNoise(copy); // the untouched noise stream of the same seed
        }

        using (var saved = ModelStateScope.Capture(model))
        {
            trainer.Train(model, new Multipliers(1, 1), data);
            Assert.NotEqual(before, Weights(model));
            Assert.True(model.Network.training);
            saved.Restore();
            Assert.Equal(before, Weights(model));
            Assert.False(model.Network.training);
            trainer.Train(model, new Multipliers(2, 1), data);
        }

        Assert.Equal(before, Weights(model));
        Assert.False(model.Network.training);
        Assert.Equal(noise, NextNoise(model));
    }

    [Fact]
    public void KeepChangesKeepsTheWorkAndCaptureModeSavesOnlyTheMode()
    {
        using var model = SmallModel();
        using var data = TestData.Prototypes(64, 3, 5);
        var trainer = new EquilibriumTrainer().WithAdam(1e-2).WithBatchSize(16).WithFixedEpochs(1).WithTrainingDataEvaluation(false);
        var before = Weights(model);
        using (var saved = ModelStateScope.Capture(model))
        {
            trainer.Train(model, new Multipliers(1, 1), data);
            saved.KeepChanges();
        }

        var trained = Weights(model);
        Assert.NotEqual(before, trained);

        model.Network.train();
        using (ModelStateScope.CaptureMode(model))
        {
            model.Network.eval();
        }

        Assert.True(model.Network.training);
        Assert.Equal(trained, Weights(model));
        Assert.Throws<ArgumentNullException>(() => ModelStateScope.Capture(null!));
        var disposed = ModelStateScope.CaptureMode(model);
        disposed.Dispose();
        disposed.Dispose(); // twice is fine
        Assert.Throws<ObjectDisposedException>(disposed.Restore);
    }
}
