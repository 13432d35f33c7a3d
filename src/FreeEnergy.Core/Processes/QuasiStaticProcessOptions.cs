using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Internal;

namespace FreeEnergy.Core.Processes;

/// <summary>
/// The settings of a <see cref="QuasiStaticProcess"/>: the tolerance on the held quantity, the bounds of the
/// predictor–corrector, how the constraint is held, and the records file. Immutable; change a copy with <c>with</c>
/// or the process's <c>With…</c> methods. <see cref="Problems"/> lists every problem at once (the protocol's
/// included); the process's constructor throws them all in one <see cref="FreeEnergyConfigurationException"/>.
/// </summary>
public sealed record QuasiStaticProcessOptions
{
    /// <summary>The largest accepted relative drift |Q − Q*|/|Q*| of the held quantity (default <see cref="Defaults.Tolerance"/>; finite, &gt; 0).</summary>
    public double Tolerance { get; init; } = Defaults.Tolerance;

    /// <summary>The largest number of corrections per step (default <see cref="Defaults.MaxCorrections"/>; 0: predict only).</summary>
    public int MaxCorrections { get; init; } = Defaults.MaxCorrections;

    /// <summary>The bound on one change of the free multiplier, relative to max(|value|, 1) (default <see cref="Defaults.MaxRelativeChange"/>; in (0, 1)).</summary>
    public double MaxRelativeChange { get; init; } = Defaults.MaxRelativeChange;

    /// <summary>How the constraint is held (default <see cref="Defaults.Method"/>).</summary>
    public ProcessMethod Method { get; init; } = Defaults.Method;

    /// <summary>The ramp, gate and controller settings of <see cref="ProcessMethod.Controlled"/> (default <see cref="RampProtocol.Default"/>).</summary>
    public RampProtocol Protocol { get; init; } = RampProtocol.Default;

    /// <summary>Whether the process stops at the first step that does not hold its constraint (default false: it records the failure and goes on).</summary>
    public bool StopOnFailure { get; init; }

    /// <summary>The JSON-lines file every finished step is written to (an existing file is replaced), or null (the default).</summary>
    public string? RecordFile { get; init; }

    /// <summary>Every problem of these settings (the protocol's included), one sentence each; empty when valid.</summary>
    public IReadOnlyList<string> Problems() =>
        new ProblemList()
            .Positive(Tolerance, nameof(Tolerance))
            .AtLeast(MaxCorrections, 0, nameof(MaxCorrections))
            .InRange(MaxRelativeChange, 0, 1, false, false, nameof(MaxRelativeChange))
            .Require(Enum.IsDefined(Method), $"Method must be one of {string.Join(", ", Enum.GetNames<ProcessMethod>())}; it is {(int)Method}.")
            .Nested(Protocol?.Problems(), nameof(Protocol))
            .Require(RecordFile is null || RecordFile.Length > 0, "RecordFile must not be empty (null writes no records).")
            .Problems;

    /// <summary>Throws <see cref="FreeEnergyConfigurationException"/> listing every problem, or returns these settings.</summary>
    public QuasiStaticProcessOptions Validate()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new FreeEnergyConfigurationException(problems);
    }

    /// <summary>The defaults, one place for the initialisers above.</summary>
    public static class Defaults
    {
        /// <summary>The largest accepted relative drift of the held quantity.</summary>
        public const double Tolerance = 0.02;

        /// <summary>The largest number of corrections per step.</summary>
        public const int MaxCorrections = 5;

        /// <summary>The bound on one change of the free multiplier, relative to max(|value|, 1).</summary>
        public const double MaxRelativeChange = 0.5;

        /// <summary>The constraint is held by the controlled ramp.</summary>
        public const ProcessMethod Method = ProcessMethod.Controlled;
    }
}
