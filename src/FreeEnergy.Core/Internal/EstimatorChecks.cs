using FreeEnergy.Core.Data;
using FreeEnergy.Core.Models;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Internal;

/// <summary>Argument checks and helpers shared by the derivative estimators.</summary>
internal static class EstimatorChecks
{
    /// <summary>The checks every estimator makes on entry: arguments present, λ &gt; 0, data fitting the model, not cancelled.</summary>
    public static void RequireValidArguments(RateDistortionModel model, Multipliers multipliers, LabeledTensorDataset data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        Guard.Valid(multipliers);
        model.ValidateData(data, nameof(data));
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>A seeded random subset of <paramref name="count"/> examples, in their original order. The caller owns it.</summary>
    public static LabeledTensorDataset Subsample(LabeledTensorDataset data, int count, long seed)
    {
        using var generator = new Generator(unchecked((ulong)seed));
        using var permutation = randperm(data.Count, generator: generator);
        long[] indices = [.. permutation.data<long>().Take(count)];
        Array.Sort(indices);
        return data.Subset(indices);
    }
}
