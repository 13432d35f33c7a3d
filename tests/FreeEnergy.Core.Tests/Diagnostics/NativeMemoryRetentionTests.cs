using System.Globalization;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;

namespace FreeEnergy.Core.Tests.Diagnostics;

/// <summary>FreeEnergyRuntime.TryRetainFreedNativeMemory: bad values, and the page faults it removes (Linux).</summary>
public class NativeMemoryRetentionTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(2048)]
    public void ARetentionOutsideOneTo2047MegabytesIsRefused(int megabytes)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => FreeEnergyRuntime.TryRetainFreedNativeMemory(megabytes));
        Assert.Equal("retainedMegabytes", ex.ParamName);
    }

    [Fact]
    public void TrainingStepsStopFaultingInFreshPagesOnceFreedMemoryIsRetained()
    {
        if (!File.Exists("/proc/self/stat"))
        {
            Assert.False(FreeEnergyRuntime.TryRetainFreedNativeMemory()); // not glibc: nothing to set
            return;
        }

        // The default MLP at K = 1: its steps allocate and free blocks of 0.1 to 1.6 MB (weight gradients, activations).
        using var data = TestData.GaussianSource([.. Enumerable.Repeat(0.5, 784)], 40 * 64, 3);
        using var evaluation = TestData.GaussianSource([.. Enumerable.Repeat(0.5, 784)], 64, 5);
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(784).WithClasses(1).WithMlp(512, 256).WithGaussianDecoder().WithSamples(1).WithSeed(4).Build();
        var trainer = new EquilibriumTrainer().WithClassicRelaxation().WithBatchSize(64).WithFixedEpochs(1).WithTrainingDataEvaluation(false);
        long FaultsPerStep()
        {
            long before = MinorFaults();
            trainer.Train(model, new Multipliers(1, 0), data, evaluation);
            return (MinorFaults() - before) / 40;
        }

        FaultsPerStep();
        long adaptive = FaultsPerStep();
        Assert.True(FreeEnergyRuntime.TryRetainFreedNativeMemory(64));
        FaultsPerStep();
        long retained = FaultsPerStep();

        // One Train call of 40 steps and a 64-example evaluation (a large evaluation batch, 25 MB tensors at K = 8, would
        // fault in its own blocks): the fresh Adam moments (8.6 MB) are faulted in once per call.
        Assert.True(retained < 250, $"{retained} page faults per step with freed memory retained ({adaptive} before)");
    }

    private static long MinorFaults()
    {
        string stat = File.ReadAllText("/proc/self/stat");
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[7], CultureInfo.InvariantCulture);
    }
}
