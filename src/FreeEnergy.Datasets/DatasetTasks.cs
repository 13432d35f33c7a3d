using System.Globalization;
using FreeEnergy.Core.Data;
using static TorchSharp.torch;

namespace FreeEnergy.Datasets;

/// <summary>
/// Builds tasks from a labelled dataset: class subsets (for example classes 0–4 as the source task and 5–9
/// as the target task), seeded stratified splits into training and evaluation data, and stratified subsets
/// of a given size. Every method returns new datasets (copies) that the caller owns and disposes; the
/// original is left untouched.
/// </summary>
/// <remarks>
/// "Stratified" means each class keeps its share: a class with n examples contributes round(n · f) of them to
/// a fraction f. Which examples are drawn comes from a torch generator seeded with the given seed, so the same
/// seed and data give the same result. Examples keep their original order inside each result.
/// </remarks>
public static class DatasetTasks
{
    /// <summary>The number of examples of each class 0 … <see cref="LabeledTensorDataset.ClassCount"/> − 1.</summary>
    /// <param name="data">The dataset.</param>
    public static long[] ClassCounts(this LabeledTensorDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        long[] counts = new long[data.ClassCount];
        foreach (long label in LabelsOf(data))
        {
            counts[label]++;
        }

        return counts;
    }

    /// <summary>The examples whose label is one of <paramref name="classes"/>, as a new dataset.</summary>
    /// <param name="data">The dataset.</param>
    /// <param name="classes">The classes to keep: distinct, non-negative, at least one.</param>
    /// <param name="mapping">
    /// <see cref="LabelMapping.KeepOriginal"/> (the default: labels unchanged, for a shared head) or
    /// <see cref="LabelMapping.Remap"/> (labels become the position of the class in <paramref name="classes"/>).
    /// </param>
    /// <returns>A new dataset with the examples in their original order. The caller owns (disposes) it.</returns>
    /// <exception cref="ArgumentException">The classes are empty, repeated or negative, or no example has one of them.</exception>
    public static LabeledTensorDataset SelectClasses(this LabeledTensorDataset data, IReadOnlyList<int> classes, LabelMapping mapping = LabelMapping.KeepOriginal)
    {
        ArgumentNullException.ThrowIfNull(data);
        ValidateClasses(classes, nameof(classes));
        if (!Enum.IsDefined(mapping))
        {
            throw new ArgumentOutOfRangeException(nameof(mapping), mapping, "Unknown label mapping.");
        }

        var position = new Dictionary<long, long>();
        for (int i = 0; i < classes.Count; i++)
        {
            position[classes[i]] = i;
        }

        long[] labels = LabelsOf(data);
        var indices = new List<long>();
        var newLabels = new List<long>();
        for (long i = 0; i < labels.Length; i++)
        {
            if (position.TryGetValue(labels[i], out long p))
            {
                indices.Add(i);
                newLabels.Add(mapping == LabelMapping.Remap ? p : labels[i]);
            }
        }

        if (indices.Count == 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"No example has one of the classes [{string.Join(", ", classes)}]; the dataset's labels are 0–{data.ClassCount - 1}."), nameof(classes));
        }

        using var scope = NewDisposeScope();
        using var index = tensor(indices.ToArray(), device: data.Device);
        return new LabeledTensorDataset(data.Inputs.index_select(0, index), tensor(newLabels.ToArray(), device: data.Device));
    }

    /// <summary>
    /// Splits a dataset by class into a source task and a target task, for transfer: for example
    /// <c>data.SplitClasses([0, 1, 2, 3, 4], [5, 6, 7, 8, 9])</c>.
    /// </summary>
    /// <param name="data">The dataset.</param>
    /// <param name="sourceClasses">The classes of the source task.</param>
    /// <param name="targetClasses">The classes of the target task, disjoint from the source classes.</param>
    /// <param name="mapping">
    /// <see cref="LabelMapping.KeepOriginal"/> (the default, the authors' setup: both tasks keep the original
    /// labels and share one classifier head) or <see cref="LabelMapping.Remap"/> (each task is renumbered 0 … k − 1).
    /// </param>
    /// <returns>Two new datasets. The caller owns (disposes) both.</returns>
    /// <exception cref="ArgumentException">A class list is invalid, the lists overlap, or a task would be empty.</exception>
    public static (LabeledTensorDataset Source, LabeledTensorDataset Target) SplitClasses(
        this LabeledTensorDataset data, IReadOnlyList<int> sourceClasses, IReadOnlyList<int> targetClasses, LabelMapping mapping = LabelMapping.KeepOriginal)
    {
        ArgumentNullException.ThrowIfNull(data);
        ValidateClasses(sourceClasses, nameof(sourceClasses));
        ValidateClasses(targetClasses, nameof(targetClasses));
        var shared = sourceClasses.Intersect(targetClasses).ToList();
        if (shared.Count > 0)
        {
            throw new ArgumentException($"The source and target classes must be disjoint; both contain [{string.Join(", ", shared)}].", nameof(targetClasses));
        }

        var source = data.SelectClasses(sourceClasses, mapping);
        try
        {
            return (source, data.SelectClasses(targetClasses, mapping));
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Splits a dataset at random into training and evaluation data, class by class: a class with n examples
    /// puts round(n · <paramref name="evaluationFraction"/>) of them in the evaluation data.
    /// </summary>
    /// <param name="data">The dataset.</param>
    /// <param name="evaluationFraction">The fraction f of each class that goes to the evaluation data, in (0, 1).</param>
    /// <param name="seed">The seed of the draw: same seed, same split.</param>
    /// <returns>Two new datasets. The caller owns (disposes) both.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is not in (0, 1), or it leaves one side empty.</exception>
    public static (LabeledTensorDataset Training, LabeledTensorDataset Evaluation) StratifiedSplit(this LabeledTensorDataset data, double evaluationFraction, long seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!(evaluationFraction > 0 && evaluationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(evaluationFraction), evaluationFraction, "The evaluation fraction must be in (0, 1).");
        }

        var byClass = ShuffledByClass(data, seed);
        var evaluation = new List<long>();
        var training = new List<long>();
        foreach (var members in byClass)
        {
            int take = (int)Math.Round(members.Count * evaluationFraction, MidpointRounding.AwayFromZero);
            evaluation.AddRange(members.Take(take));
            training.AddRange(members.Skip(take));
        }

        if (evaluation.Count == 0 || training.Count == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(evaluationFraction), evaluationFraction, string.Create(CultureInfo.InvariantCulture,
                $"An evaluation fraction of {evaluationFraction} of each class of {data.Count} examples (class sizes [{string.Join(", ", byClass.Select(c => c.Count))}]) leaves the {(evaluation.Count == 0 ? "evaluation" : "training")} data empty."));
        }

        training.Sort();
        evaluation.Sort();
        var first = data.Subset(training);
        try
        {
            return (first, data.Subset(evaluation));
        }
        catch
        {
            first.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A random subset of <paramref name="count"/> examples in which every class keeps its share: class c with
    /// n_c of the N examples gets count · n_c / N of them, rounded by the largest-remainder method so the total
    /// is exactly <paramref name="count"/> (ties go to the smaller class index).
    /// </summary>
    /// <param name="data">The dataset.</param>
    /// <param name="count">The number of examples, in [1, N].</param>
    /// <param name="seed">The seed of the draw: same seed, same subset.</param>
    /// <returns>A new dataset. The caller owns (disposes) it.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not in [1, N].</exception>
    public static LabeledTensorDataset StratifiedSubset(this LabeledTensorDataset data, long count, long seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (count < 1 || count > data.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, string.Create(CultureInfo.InvariantCulture, $"The subset size must be in [1, {data.Count}]."));
        }

        var byClass = ShuffledByClass(data, seed);
        long total = data.Count;
        long[] quota = byClass.Select(c => c.Count * count / total).ToArray();
        long left = count - quota.Sum();
        var byRemainder = Enumerable.Range(0, byClass.Count)
            .OrderByDescending(c => (byClass[c].Count * count) % total)
            .ThenBy(c => c)
            .Take((int)left);
        foreach (int c in byRemainder)
        {
            quota[c]++;
        }

        var chosen = new List<long>();
        for (int c = 0; c < byClass.Count; c++)
        {
            chosen.AddRange(byClass[c].Take((int)quota[c]));
        }

        chosen.Sort();
        return data.Subset(chosen);
    }

    /// <summary>The indices of each class, each list in an order drawn from one generator seeded with <paramref name="seed"/>.</summary>
    private static List<List<long>> ShuffledByClass(LabeledTensorDataset data, long seed)
    {
        long[] labels = LabelsOf(data);
        long[] order;
        using (var generator = new Generator(unchecked((ulong)seed)))
        using (var permutation = randperm(labels.LongLength, generator: generator))
        {
            order = permutation.data<long>().ToArray();
        }

        var byClass = Enumerable.Range(0, data.ClassCount).Select(_ => new List<long>()).ToList();
        foreach (long i in order)
        {
            byClass[(int)labels[i]].Add(i);
        }

        return byClass;
    }

    private static long[] LabelsOf(LabeledTensorDataset data)
    {
        using var cpu = data.Labels.cpu();
        return cpu.data<long>().ToArray();
    }

    private static void ValidateClasses(IReadOnlyList<int> classes, string name)
    {
        ArgumentNullException.ThrowIfNull(classes, name);
        if (classes.Count == 0)
        {
            throw new ArgumentException("At least one class is needed.", name);
        }

        int negative = classes.FirstOrDefault(c => c < 0, 0);
        if (negative < 0)
        {
            throw new ArgumentException($"Classes must be ≥ 0; got {negative}.", name);
        }

        var repeated = classes.GroupBy(c => c).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (repeated.Count > 0)
        {
            throw new ArgumentException($"Each class may be given once; [{string.Join(", ", repeated)}] repeat.", name);
        }
    }
}
