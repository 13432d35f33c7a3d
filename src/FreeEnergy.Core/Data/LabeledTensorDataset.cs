using System.Globalization;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Data;

/// <summary>
/// An in-memory labelled dataset: inputs x of shape [N, ...] (float32) and class labels y of shape [N]
/// (int64). Validated once at construction: at least one example, matching counts, finite inputs,
/// non-negative labels.
/// </summary>
/// <remarks>
/// The dataset keeps its own references to the tensors (the caller may dispose the ones it passed in) and
/// must be disposed when no longer needed. Batches it yields live in the caller's dispose scope.
/// Not thread-safe: use one dataset from one thread at a time.
/// </remarks>
public sealed class LabeledTensorDataset : IDisposable
{
    private readonly Tensor inputs;
    private readonly Tensor labels;
    private bool disposed;

    /// <summary>Creates a dataset from inputs and labels.</summary>
    /// <param name="inputs">Inputs, shape [N, ...] with N ≥ 1; any floating type (stored as float32); all finite.</param>
    /// <param name="labels">Class labels, shape [N]; any integer type (stored as int64); all ≥ 0.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">Shapes, types or values are invalid; the message gives expected and actual values.</exception>
    public LabeledTensorDataset(Tensor inputs, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        Diagnostics.FreeEnergyRuntime.EnsureBackend();
        if (inputs.dim() < 2)
        {
            throw new ArgumentException($"Inputs must have shape [N, ...] with at least one feature dimension; got shape {Shape(inputs.shape)}.", nameof(inputs));
        }

        if (labels.dim() != 1)
        {
            throw new ArgumentException($"Labels must have shape [N]; got shape {Shape(labels.shape)}.", nameof(labels));
        }

        if (inputs.shape[0] == 0)
        {
            throw new ArgumentException("The dataset is empty: inputs have 0 examples; at least 1 is needed.", nameof(inputs));
        }

        if (inputs.shape[0] != labels.shape[0])
        {
            throw new ArgumentException($"Inputs have {inputs.shape[0]} examples but labels have {labels.shape[0]}; the counts must match.", nameof(labels));
        }

        if (!inputs.is_floating_point())
        {
            throw new ArgumentException($"Inputs must be a floating-point tensor; got {inputs.dtype}.", nameof(inputs));
        }

        if (labels.is_floating_point() || labels.is_complex() || labels.dtype == ScalarType.Bool)
        {
            throw new ArgumentException($"Labels must be an integer tensor; got {labels.dtype}.", nameof(labels));
        }

        using (var scope = NewDisposeScope())
        {
            // min and max propagate NaN and show ±∞, so two reductions detect any non-finite value without
            // the full-size masks of isfinite(); the masks are built only to describe a failure.
            if (!double.IsFinite(inputs.min().to(ScalarType.Float64).item<double>()) || !double.IsFinite(inputs.max().to(ScalarType.Float64).item<double>()))
            {
                long nonFinite = inputs.isfinite().logical_not().sum().item<long>();
                var first = inputs.isfinite().logical_not().reshape(inputs.shape[0], -1).any(1).nonzero()[0, 0].item<long>();
                throw new ArgumentException($"Inputs contain {nonFinite} NaN or infinite value(s); the first is in example {first}.", nameof(inputs));
            }

            long minLabel = labels.min().item<long>();
            if (minLabel < 0)
            {
                throw new ArgumentException($"Labels must be ≥ 0; the smallest is {minLabel}.", nameof(labels));
            }

            this.inputs = inputs.detach().to(ScalarType.Float32).contiguous().DetachFromDisposeScope();
            this.labels = labels.detach().to(ScalarType.Int64).contiguous().DetachFromDisposeScope();
            ClassCount = checked((int)labels.max().item<long>() + 1);
        }

        InputShape = this.inputs.shape.Skip(1).Select(s => checked((int)s)).ToArray();
    }

    /// <summary>The number of examples N.</summary>
    public long Count => Inputs.shape[0];

    /// <summary>The shape of one input (without the example dimension).</summary>
    public IReadOnlyList<int> InputShape { get; }

    /// <summary>One more than the largest label: the smallest number of classes a classifier for this data needs.</summary>
    public int ClassCount { get; }

    /// <summary>The device the tensors live on.</summary>
    public Device Device => Inputs.device;

    /// <summary>The inputs, shape [N, ...], float32. Owned by the dataset: do not dispose.</summary>
    public Tensor Inputs
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return inputs;
        }
    }

    /// <summary>The labels, shape [N], int64. Owned by the dataset: do not dispose.</summary>
    public Tensor Labels
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return labels;
        }
    }

    /// <summary>A new dataset with the examples at <paramref name="indices"/> (copied). The caller owns it.</summary>
    /// <param name="indices">Indices in [0, N); at least one.</param>
    public LabeledTensorDataset Subset(IReadOnlyList<long> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Count == 0)
        {
            throw new ArgumentException("A subset needs at least one index.", nameof(indices));
        }

        long bad = indices.FirstOrDefault(i => i < 0 || i >= Count, -1);
        if (indices.Any(i => i < 0 || i >= Count))
        {
            throw new ArgumentOutOfRangeException(nameof(indices), bad, $"Index {bad} is outside [0, {Count}).");
        }

        using var scope = NewDisposeScope();
        using var index = tensor(indices.ToArray(), device: Device);
        return new LabeledTensorDataset(Inputs.index_select(0, index), Labels.index_select(0, index));
    }

    /// <summary>
    /// Splits the examples at random into two new datasets (copies) of sizes N − round(N·f) and round(N·f).
    /// The same seed gives the same split. The caller owns both.
    /// </summary>
    /// <param name="evaluationFraction">The fraction f of examples in the second dataset, in (0, 1).</param>
    /// <param name="seed">The seed of the permutation.</param>
    public (LabeledTensorDataset Training, LabeledTensorDataset Evaluation) Split(double evaluationFraction, long seed)
    {
        if (!(evaluationFraction > 0 && evaluationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(evaluationFraction), evaluationFraction, "The evaluation fraction must be in (0, 1).");
        }

        long evaluationCount = (long)Math.Round(Count * evaluationFraction);
        if (evaluationCount < 1 || evaluationCount >= Count)
        {
            throw new ArgumentOutOfRangeException(nameof(evaluationFraction), evaluationFraction, string.Create(CultureInfo.InvariantCulture, $"A fraction of {evaluationFraction} of {Count} examples leaves one side empty."));
        }

        using var generator = new Generator(unchecked((ulong)seed));
        using var permutation = randperm(Count, generator: generator);
        long[] order = permutation.data<long>().ToArray();
        return (Subset(order[(int)evaluationCount..]), Subset(order[..(int)evaluationCount]));
    }

    /// <summary>A copy of this dataset on <paramref name="device"/>. The caller owns it.</summary>
    public LabeledTensorDataset To(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        using var scope = NewDisposeScope();
        return new LabeledTensorDataset(Inputs.to(device), Labels.to(device));
    }

    /// <summary>
    /// The dataset in batches of at most <paramref name="batchSize"/> examples, in order, or in a random
    /// order drawn from <paramref name="shuffle"/>, on the dataset's device.
    /// </summary>
    /// <remarks>
    /// Each batch lives in a dispose scope of the enumeration that is disposed when the enumeration moves
    /// to the next batch (or ends): use a batch inside the loop body, and clone it to keep it longer.
    /// Tensors the loop body creates outside a scope of its own are disposed with the batch too.
    /// </remarks>
    public IEnumerable<(Tensor Inputs, Tensor Labels)> Batches(int batchSize, Generator? shuffle = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return Iterate(batchSize, shuffle);
    }

    private IEnumerable<(Tensor Inputs, Tensor Labels)> Iterate(int batchSize, Generator? shuffle)
    {
        Tensor? order = null;
        if (shuffle is not null)
        {
            using var permutation = randperm(Count, generator: shuffle);
            order = permutation.to(Device, copy: true).DetachFromDisposeScope();
        }

        try
        {
            for (long start = 0; start < Count; start += batchSize)
            {
                long length = Math.Min(batchSize, Count - start);
                using var scope = NewDisposeScope();
                if (order is null)
                {
                    yield return (Inputs.narrow(0, start, length), Labels.narrow(0, start, length));
                }
                else
                {
                    var index = order.narrow(0, start, length);
                    yield return (Inputs.index_select(0, index), Labels.index_select(0, index));
                }
            }
        }
        finally
        {
            order?.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        inputs.Dispose();
        labels.Dispose();
    }

    internal static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
