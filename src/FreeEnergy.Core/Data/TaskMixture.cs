using System.Globalization;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Data;

/// <summary>
/// The interpolated task p_r = (1 − r)·p_source + r·p_target of a transfer process, as a source and a target
/// dataset and a ratio r in [0, 1]. Training on it minimises the convex combination
/// (1 − r)·J_source + r·J_target of the per-example objectives J = R + λD + γC of paired minibatches, one
/// from each task (the authors' implementation); r = 0 is the source task, r = 1 the target task.
/// </summary>
/// <remarks>
/// <para>
/// <b>Batches.</b> <see cref="PairedBatches"/> yields one epoch of pairs (source batch, target batch). Each task
/// is shuffled with its own permutation drawn from the generator the caller passes, so the same generator
/// state gives the same epoch, and every epoch (and every cycle of the smaller task) is a fresh permutation.
/// An epoch ends when the larger task has been seen once; the smaller task cycles (it is reshuffled each time
/// it runs out), so every step has a batch from both tasks. The epoch length therefore does not depend on r,
/// which keeps a process that moves r continuously free of jumps in what "one epoch" means.
/// </para>
/// <para>
/// <b>Sizes.</b> Both batches of a step have the same size: <c>batchSize</c>, except the last step of an epoch,
/// which takes what is left of the larger task (or is dropped with <c>dropLast</c>, as the authors' loaders do).
/// The smaller task's stream runs through one permutation after another; a batch that straddles the seam
/// takes the end of one permutation and the start of the next (so an example may occur twice in that batch),
/// which keeps every example equally frequent. A task with fewer examples than the batch size contributes all
/// of its examples, once each, in a fresh order. Weights apply to per-example means, so unequal batch sizes
/// do not bias them.
/// </para>
/// <para>
/// <b>Ownership.</b> The mixture does not own the datasets: it neither copies nor disposes them, and it is only
/// usable while both are. Each pair of batches is new tensors in a dispose scope of the enumeration, disposed
/// when the enumeration moves on: use a pair inside the loop body and clone what must outlive it. <see cref="WithRatio"/> returns
/// a new mixture over the same datasets; mixtures are immutable and cheap to create.
/// </para>
/// <para>
/// <b>Evaluation.</b> Evaluate the mixture's functionals as (1 − r)·F(source evaluation data) + r·F(target
/// evaluation data), with <see cref="SourceWeight"/> and <see cref="TargetWeight"/>.
/// </para>
/// </remarks>
public sealed class TaskMixture
{
    /// <summary>Creates a mixture of two tasks.</summary>
    /// <param name="source">The source task's data (not owned).</param>
    /// <param name="target">The target task's data (not owned): same input shape and device as the source.</param>
    /// <param name="ratio">The weight r of the target task, in [0, 1].</param>
    /// <exception cref="ArgumentNullException">A dataset is null.</exception>
    /// <exception cref="ArgumentException">The datasets' input shapes or devices differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ratio"/> is not in [0, 1].</exception>
    public TaskMixture(LabeledTensorDataset source, LabeledTensorDataset target, double ratio)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        CheckRatio(ratio);
        if (!source.InputShape.SequenceEqual(target.InputShape))
        {
            throw new ArgumentException(
                $"The source and target inputs must have the same shape to share an encoder; the source has [{string.Join(", ", source.InputShape)}], the target [{string.Join(", ", target.InputShape)}].",
                nameof(target));
        }

        if (source.Device.type != target.Device.type || source.Device.index != target.Device.index)
        {
            throw new ArgumentException($"The source and target data must be on the same device; the source is on {source.Device}, the target on {target.Device}.", nameof(target));
        }

        Source = source;
        Target = target;
        Ratio = ratio;
    }

    /// <summary>The source task's data (not owned by the mixture).</summary>
    public LabeledTensorDataset Source { get; }

    /// <summary>The target task's data (not owned by the mixture).</summary>
    public LabeledTensorDataset Target { get; }

    /// <summary>The mixture ratio r in [0, 1]: the weight of the target task.</summary>
    public double Ratio { get; }

    /// <summary>The weight of the source task's objective, 1 − r.</summary>
    public double SourceWeight => 1 - Ratio;

    /// <summary>The weight of the target task's objective, r.</summary>
    public double TargetWeight => Ratio;

    /// <summary>The number of steps in one epoch: the larger task's count divided by <paramref name="batchSize"/>, rounded up (down with <paramref name="dropLast"/>).</summary>
    /// <param name="batchSize">The number of examples per batch, at least 1.</param>
    /// <param name="dropLast">Whether a last, incomplete batch is dropped.</param>
    public long StepsPerEpoch(int batchSize, bool dropLast = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        long larger = Math.Max(Source.Count, Target.Count);
        return dropLast ? larger / batchSize : (larger + batchSize - 1) / batchSize;
    }

    /// <summary>A mixture of the same two tasks with another ratio.</summary>
    /// <param name="ratio">The weight r of the target task, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ratio"/> is not in [0, 1].</exception>
    public TaskMixture WithRatio(double ratio) => new(Source, Target, ratio);

    /// <summary>
    /// One epoch of paired minibatches, (source inputs, source labels, target inputs, target labels), each task
    /// in its own random order drawn from <paramref name="shuffle"/>. Weigh the source batch's objective by
    /// <see cref="SourceWeight"/> and the target batch's by <see cref="TargetWeight"/>. See the remarks of
    /// <see cref="TaskMixture"/> for epoch length and batch sizes.
    /// </summary>
    /// <param name="batchSize">The number of examples per batch, at least 1.</param>
    /// <param name="shuffle">The generator the permutations are drawn from (a CPU generator; keep one per training run and pass it to every epoch).</param>
    /// <param name="dropLast">Whether to drop the last step when the larger task has fewer than <paramref name="batchSize"/> examples left.</param>
    /// <returns>
    /// The pairs, lazily, on the datasets' device. Each pair lives in a dispose scope of the enumeration that is
    /// disposed when the enumeration moves on (as <see cref="LabeledTensorDataset.Batches"/>): use it inside
    /// the loop body and clone what must outlive it.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1, or with <paramref name="dropLast"/> above the larger task's count.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="shuffle"/> is null.</exception>
    public IEnumerable<(Tensor SourceInputs, Tensor SourceLabels, Tensor TargetInputs, Tensor TargetLabels)> PairedBatches(int batchSize, Generator shuffle, bool dropLast = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentNullException.ThrowIfNull(shuffle);
        if (dropLast && StepsPerEpoch(batchSize, dropLast) == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, string.Create(CultureInfo.InvariantCulture,
                $"With dropLast, the batch size must not exceed the larger task's {Math.Max(Source.Count, Target.Count)} examples, or the epoch is empty."));
        }

        return Iterate(batchSize, shuffle, dropLast);
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"TaskMixture(r = {Ratio}, source {Source.Count} examples × {SourceWeight}, target {Target.Count} examples × {TargetWeight})");

    private IEnumerable<(Tensor, Tensor, Tensor, Tensor)> Iterate(int batchSize, Generator shuffle, bool dropLast)
    {
        using var source = new TaskStream(Source, shuffle);
        using var target = new TaskStream(Target, shuffle);
        long larger = Math.Max(Source.Count, Target.Count);
        long steps = StepsPerEpoch(batchSize, dropLast);
        for (long step = 0; step < steps; step++)
        {
            long size = Math.Min(batchSize, larger - step * batchSize);
            using var scope = NewDisposeScope();
            var (sourceInputs, sourceLabels) = source.Take(size);
            var (targetInputs, targetLabels) = target.Take(size);
            yield return (sourceInputs, sourceLabels, targetInputs, targetLabels);
        }
    }

    private static void CheckRatio(double ratio)
    {
        if (!(ratio >= 0 && ratio <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "The mixture ratio r must be in [0, 1].");
        }
    }

    /// <summary>An endless stream of one task's examples: reshuffled from the generator each time it runs out.</summary>
    private sealed class TaskStream : IDisposable
    {
        private readonly LabeledTensorDataset data;
        private readonly Generator shuffle;
        private Tensor order;
        private long position;

        public TaskStream(LabeledTensorDataset data, Generator shuffle)
        {
            this.data = data;
            this.shuffle = shuffle;
            order = Permutation();
        }

        /// <summary>The next min(size, N) examples, as new tensors in the caller's dispose scope.</summary>
        public (Tensor Inputs, Tensor Labels) Take(long size)
        {
            size = Math.Min(size, data.Count);
            Tensor index;
            using (var scope = NewDisposeScope())
            {
                if (position == data.Count)
                {
                    Renew();
                }

                long first = Math.Min(size, data.Count - position);
                var head = order.narrow(0, position, first);
                position += first;
                if (first < size)
                {
                    Renew();
                    var tail = order.narrow(0, 0, size - first);
                    position = size - first;
                    index = cat([head, tail]).MoveToOuterDisposeScope();
                }
                else
                {
                    index = head.MoveToOuterDisposeScope();
                }
            }

            using (index)
            {
                return (data.Inputs.index_select(0, index), data.Labels.index_select(0, index));
            }
        }

        public void Dispose() => order.Dispose();

        private void Renew()
        {
            order.Dispose();
            order = Permutation();
            position = 0;
        }

        private Tensor Permutation()
        {
            using var scope = NewDisposeScope();
            return randperm(data.Count, generator: shuffle).to(data.Device).DetachFromDisposeScope();
        }
    }
}
