using BenchmarkDotNet.Attributes;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
using FreeEnergy.Datasets;
using static TorchSharp.torch;

namespace FreeEnergy.Benchmarks;

/// <summary>
/// One short epoch (10 steps of 64 Fashion-MNIST images, then J on 64 images) of the default MLP at K = 1 and
/// K = 8: <c>EquilibriumTrainer.Train</c> against the raw TorchSharp loop doing the same work.
/// </summary>
[MemoryDiagnoser]
public class TrainingBenchmarks : IDisposable
{
    private LabeledTensorDataset? images;
    private LabeledTensorDataset? training;
    private LabeledTensorDataset? evaluation;
    private RateDistortionModel? model;
    private RawTrainingLoop? raw;
    private Generator? shuffle;
    private Generator? noise;
    private EquilibriumTrainer? trainer;

    /// <summary>K, the samples of z per input.</summary>
    [Params(1, 8)]
    public int Samples { get; set; }

    /// <summary>Loads the data and builds both networks from the same weights.</summary>
    [GlobalSetup]
    public void Setup()
    {
        images = FashionMnist.LoadShippedTestSplit();
        training = images.Subset([.. Enumerable.Range(0, 640).Select(i => (long)i)]);
        evaluation = images.Subset([.. Enumerable.Range(9936, 64).Select(i => (long)i)]);
        (model, raw) = MatchedNetworks.DefaultMlp(Samples);
        shuffle = new Generator(3);
        noise = new Generator(2);
        trainer = new EquilibriumTrainer().WithClassicRelaxation().WithFixedEpochs(1).WithTrainingDataEvaluation(false);
    }

    /// <summary>The raw loop: 10 steps and the evaluation of J.</summary>
    [Benchmark(Baseline = true)]
    public double Raw() => raw!.TrainEpoch(training!.Inputs, training.Labels, evaluation!.Inputs, evaluation.Labels, shuffle!, noise!, 1, 1).MeanLoss;

    /// <summary>The library: <c>Train</c> for one epoch of 10 steps.</summary>
    [Benchmark]
    public double Library() => trainer!.Train(model!, new Multipliers(1, 1), training!, evaluation).FreeEnergy;

    /// <summary>Releases the data and both networks.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        model?.Dispose();
        raw?.Dispose();
        shuffle?.Dispose();
        noise?.Dispose();
        training?.Dispose();
        evaluation?.Dispose();
        images?.Dispose();
        GC.SuppressFinalize(this);
    }
}
