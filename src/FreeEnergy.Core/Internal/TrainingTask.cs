using FreeEnergy.Core.Data;
using FreeEnergy.Core.Models;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Internal;

/// <summary>What a trainer trains on: one dataset, or a mixture of two tasks with weights (1 − r) and r.</summary>
internal abstract class TrainingTask
{
    public abstract long StepsPerEpoch(int batchSize);

    /// <summary>The batch size that makes one step per epoch (the whole dataset; for a mixture, the larger task).</summary>
    public abstract int LargestBatch { get; }

    /// <summary>One epoch of steps; each step is one or two weighted batches, alive until the enumeration moves on.</summary>
    public abstract IEnumerable<(Tensor Inputs, Tensor Labels, double Weight)[]> Steps(int batchSize, Generator shuffle);

    public abstract Functionals Evaluate(RateDistortionModel model, int batchSize);

    public abstract void Validate(RateDistortionModel model, string parameterName);

    public static TrainingTask Of(LabeledTensorDataset data) => new Single(data);

    public static TrainingTask Of(TaskMixture mixture) => new Mixture(mixture);

    private sealed class Single(LabeledTensorDataset data) : TrainingTask
    {
        public override long StepsPerEpoch(int batchSize) => (data.Count + batchSize - 1) / batchSize;

        public override int LargestBatch => (int)Math.Min(int.MaxValue, data.Count);

        public override IEnumerable<(Tensor, Tensor, double)[]> Steps(int batchSize, Generator shuffle) =>
            data.Batches(batchSize, shuffle).Select(b => new[] { (b.Inputs, b.Labels, 1.0) });

        public override Functionals Evaluate(RateDistortionModel model, int batchSize) => model.Evaluate(data, batchSize);

        public override void Validate(RateDistortionModel model, string parameterName) => model.ValidateData(data, parameterName);
    }

    private sealed class Mixture(TaskMixture mixture) : TrainingTask
    {
        public override long StepsPerEpoch(int batchSize) => mixture.StepsPerEpoch(batchSize);

        public override int LargestBatch => (int)Math.Min(int.MaxValue, Math.Max(mixture.Source.Count, mixture.Target.Count));

        public override IEnumerable<(Tensor, Tensor, double)[]> Steps(int batchSize, Generator shuffle) =>
            mixture.PairedBatches(batchSize, shuffle).Select(b => new[]
            {
                (b.SourceInputs, b.SourceLabels, mixture.SourceWeight),
                (b.TargetInputs, b.TargetLabels, mixture.TargetWeight),
            });

        public override Functionals Evaluate(RateDistortionModel model, int batchSize) => model.Evaluate(mixture, batchSize);

        public override void Validate(RateDistortionModel model, string parameterName)
        {
            model.ValidateData(mixture.Source, parameterName);
            model.ValidateData(mixture.Target, parameterName);
        }
    }
}
