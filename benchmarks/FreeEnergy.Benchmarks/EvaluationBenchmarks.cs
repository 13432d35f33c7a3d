using BenchmarkDotNet.Attributes;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Models;
using FreeEnergy.Datasets;

namespace FreeEnergy.Benchmarks;

/// <summary>
/// One evaluation pass (no gradients) of the default MLP at K = 1 and K = 8 over 2,000 Fashion-MNIST images in
/// batches of 1,000: <c>RateDistortionModel.Evaluate</c> against the raw loop's evaluation.
/// </summary>
[MemoryDiagnoser]
public class EvaluationBenchmarks : IDisposable
{
    private LabeledTensorDataset? images;
    private LabeledTensorDataset? data;
    private RateDistortionModel? model;
    private RawTrainingLoop? raw;

    /// <summary>K, the samples of z per input.</summary>
    [Params(1, 8)]
    public int Samples { get; set; }

    /// <summary>Loads the data and builds both networks from the same weights.</summary>
    [GlobalSetup]
    public void Setup()
    {
        images = FashionMnist.LoadShippedTestSplit();
        data = images.Subset([.. Enumerable.Range(0, 2000).Select(i => (long)i)]);
        (model, raw) = MatchedNetworks.DefaultMlp(Samples);
    }

    /// <summary>The raw evaluation.</summary>
    [Benchmark(Baseline = true)]
    public double Raw() => raw!.Evaluate(data!.Inputs, data.Labels, 1000, 7)[0];

    /// <summary>The library's <c>Evaluate</c>.</summary>
    [Benchmark]
    public double Library() => model!.Evaluate(data!, 1000, 7).Rate;

    /// <summary>Releases the data and both networks.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        model?.Dispose();
        raw?.Dispose();
        data?.Dispose();
        images?.Dispose();
        GC.SuppressFinalize(this);
    }
}
