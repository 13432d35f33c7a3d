using System.Globalization;
using FreeEnergy.Core.Diagnostics;

namespace FreeEnergy.Core.Derivatives;

/// <summary>
/// The settings of an <see cref="ImplicitDerivativeEstimator"/>: the damping of the Hessian, the conjugate-gradient
/// stopping rule, the examples and z-noise J is defined on, and the precision. Immutable; change a copy with
/// <c>with { … }</c> and pass it to the estimator's constructor, which reports every problem at once.
/// </summary>
public sealed record ImplicitDerivativeEstimatorOptions
{
    /// <summary>δ, the multiple of the identity added to H (default <see cref="Defaults.Damping"/>, in nats per unit θ²), finite and ≥ 0.</summary>
    public double Damping { get; init; } = Defaults.Damping;

    /// <summary>
    /// How many times δ may be raised when a solve meets negative curvature (default <see cref="Defaults.MaxDampingIncreases"/>;
    /// 0 turns adaptive damping off), ≥ 0. Each raise sets δ to max(10·δ, 2·|pᵀHp| / pᵀp) for the offending
    /// direction p and restarts both solves.
    /// </summary>
    public int MaxDampingIncreases { get; init; } = Defaults.MaxDampingIncreases;

    /// <summary>The relative residual ‖b − (H + δI)u‖ / ‖b‖ at which a solve stops (default <see cref="Defaults.Tolerance"/>), in (0, 1).</summary>
    public double Tolerance { get; init; } = Defaults.Tolerance;

    /// <summary>The largest number of CG iterations per solve (default <see cref="Defaults.MaxIterations"/>), ≥ 1.</summary>
    public int MaxIterations { get; init; } = Defaults.MaxIterations;

    /// <summary>At most this many examples are used (a seeded random subsample when the data has more), or null for all (default <see cref="Defaults.MaxExamples"/>); ≥ 1.</summary>
    public int? MaxExamples { get; init; } = Defaults.MaxExamples;

    /// <summary>The seed of the subsample (default <see cref="Defaults.SubsampleSeed"/>).</summary>
    public long SubsampleSeed { get; init; } = Defaults.SubsampleSeed;

    /// <summary>The seed of the fixed z-noise (batch b uses seed + b), or null (the default) for a value derived from the model's seed.</summary>
    public long? NoiseSeed { get; init; }

    /// <summary>
    /// How many independent z-noise draws each example gets in the fixed-noise J (default <see cref="Defaults.NoiseReplicas"/>:
    /// the model's K samples once), ≥ 1. More replicas lower the Monte-Carlo error of H, ∇D and ∇C at a proportional cost.
    /// </summary>
    public int NoiseReplicas { get; init; } = Defaults.NoiseReplicas;

    /// <summary>Examples per forward pass (default <see cref="Defaults.BatchSize"/>), ≥ 1. When all examples fit one batch, the first-order graph is built once and reused.</summary>
    public int BatchSize { get; init; } = Defaults.BatchSize;

    /// <summary>Whether to compute in float64 on a temporary double-precision copy of the model (default <see cref="Defaults.UseFloat64"/>).</summary>
    public bool UseFloat64 { get; init; } = Defaults.UseFloat64;

    /// <summary>Every problem of these settings, one sentence each; empty when they are valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        if (!(double.IsFinite(Damping) && Damping >= 0))
        {
            problems.Add($"Damping must be finite and ≥ 0; it is {F(Damping)}.");
        }

        if (MaxDampingIncreases < 0)
        {
            problems.Add($"MaxDampingIncreases must be ≥ 0 (0 turns adaptive damping off); it is {MaxDampingIncreases}.");
        }

        if (!(Tolerance > 0 && Tolerance < 1))
        {
            problems.Add($"Tolerance (the CG relative residual) must be in (0, 1); it is {F(Tolerance)}.");
        }

        if (MaxIterations < 1)
        {
            problems.Add($"MaxIterations (CG iterations per solve) must be ≥ 1; it is {MaxIterations}.");
        }

        if (MaxExamples is int m && m < 1)
        {
            problems.Add($"MaxExamples must be ≥ 1, or null for all examples; it is {m}.");
        }

        if (NoiseReplicas < 1)
        {
            problems.Add($"NoiseReplicas must be ≥ 1; it is {NoiseReplicas}.");
        }

        if (BatchSize < 1)
        {
            problems.Add($"BatchSize must be ≥ 1; it is {BatchSize}.");
        }

        return problems;
    }

    /// <summary>Returns these settings, or throws <see cref="FreeEnergyConfigurationException"/> listing every problem.</summary>
    /// <exception cref="FreeEnergyConfigurationException">At least one setting is out of range.</exception>
    public ImplicitDerivativeEstimatorOptions Validate()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new FreeEnergyConfigurationException(problems);
    }

    /// <summary>The default of every setting, the one place the <c>With…</c> methods' optional parameters refer to.</summary>
    public static class Defaults
    {
        /// <summary>δ = 1e-4.</summary>
        public const double Damping = 1e-4;

        /// <summary>8 raises of δ at most.</summary>
        public const int MaxDampingIncreases = 8;

        /// <summary>CG stops at a relative residual of 1e-6.</summary>
        public const double Tolerance = 1e-6;

        /// <summary>500 CG iterations per solve at most.</summary>
        public const int MaxIterations = 500;

        /// <summary>4096 examples at most.</summary>
        public const int MaxExamples = 4096;

        /// <summary>Subsample seed 0.</summary>
        public const long SubsampleSeed = 0;

        /// <summary>One z-noise draw per example.</summary>
        public const int NoiseReplicas = 1;

        /// <summary>4096 examples per forward pass.</summary>
        public const int BatchSize = 4096;

        /// <summary>Compute on a float64 copy.</summary>
        public const bool UseFloat64 = true;
    }
}
