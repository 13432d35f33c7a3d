using FreeEnergy.Core.Diagnostics;

namespace FreeEnergy.Core.Derivatives;

/// <summary>
/// The settings of an <see cref="EncoderFluctuationEstimator"/>: the z-noise and the batch size. Immutable; change
/// a copy with <c>with { … }</c> and pass it to the estimator's constructor, which reports every problem at once.
/// </summary>
public sealed record EncoderFluctuationEstimatorOptions
{
    /// <summary>The seed of the z-noise, or null (the default) for the model's evaluation default.</summary>
    public long? NoiseSeed { get; init; }

    /// <summary>Examples per forward pass, ≥ 1 (default <see cref="Defaults.BatchSize"/>).</summary>
    public int BatchSize { get; init; } = Defaults.BatchSize;

    /// <summary>Every problem of these settings, one sentence each; empty when they are valid.</summary>
    public IReadOnlyList<string> Problems() =>
        BatchSize < 1 ? [$"BatchSize must be ≥ 1; it is {BatchSize}."] : [];

    /// <summary>Returns these settings, or throws <see cref="FreeEnergyConfigurationException"/> listing every problem.</summary>
    /// <exception cref="FreeEnergyConfigurationException">At least one setting is out of range.</exception>
    public EncoderFluctuationEstimatorOptions Validate()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new FreeEnergyConfigurationException(problems);
    }

    /// <summary>The default of every setting, the one place the <c>With…</c> methods' optional parameters refer to.</summary>
    public static class Defaults
    {
        /// <summary>1000 examples per forward pass.</summary>
        public const int BatchSize = 1000;
    }
}
