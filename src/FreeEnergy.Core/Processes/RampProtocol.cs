using System.Globalization;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Training;

namespace FreeEnergy.Core.Processes;

/// <summary>
/// How a controlled process moves (<see cref="ProcessMethod.Controlled"/>): the driven variable (λ, γ or the task
/// ratio r) ramps a little at every optimisation step from one recorded step to the next, a
/// <see cref="ConstraintController"/> adapts the free multiplier after every step, and the held quantity is
/// measured on held-out data (fixed examples, fixed z-noise) <see cref="ChecksPerEpoch"/> times per epoch. A
/// recorded step is accepted when the held-out drift is within the process's tolerance at
/// <see cref="ConsecutiveChecks"/> consecutive checks after the ramp reached it; otherwise training goes on at the
/// step's values up to <see cref="MaxDwellChecks"/> checks, then rolls back to the last accepted checkpoint and
/// halves the step (up to <see cref="MaxHalvings"/> times) before the step is recorded as not held.
/// </summary>
/// <remarks>
/// One optimiser state (Adam) serves the whole process; a rollback restores the weights and the controller, not
/// Adam's moment estimates. Slower ramps (a larger <see cref="RampEpochs"/>) are closer to the quasi-static limit:
/// smaller drift, work closer to ΔF, smaller hysteresis, at a higher cost.
/// </remarks>
public sealed record RampProtocol
{
    /// <summary>The default settings (every property at its <see cref="Defaults"/> value).</summary>
    public static RampProtocol Default { get; } = new();

    /// <summary>Epochs of training over which the driven variable moves from one recorded step to the next (default <see cref="Defaults.RampEpochs"/>; in (0, 1000]).</summary>
    public double RampEpochs { get; init; } = Defaults.RampEpochs;

    /// <summary>Held-out checks per epoch (default <see cref="Defaults.ChecksPerEpoch"/>; in [1, 1000]).</summary>
    public int ChecksPerEpoch { get; init; } = Defaults.ChecksPerEpoch;

    /// <summary>Consecutive in-tolerance checks that accept a step (default <see cref="Defaults.ConsecutiveChecks"/>; ≥ 1).</summary>
    public int ConsecutiveChecks { get; init; } = Defaults.ConsecutiveChecks;

    /// <summary>The largest number of checks at a step's values after the ramp before a rollback (default <see cref="Defaults.MaxDwellChecks"/>; ≥ <see cref="ConsecutiveChecks"/>).</summary>
    public int MaxDwellChecks { get; init; } = Defaults.MaxDwellChecks;

    /// <summary>How many times a step may be halved after a rollback before it is recorded as not held (default <see cref="Defaults.MaxHalvings"/>; in [0, 10]).</summary>
    public int MaxHalvings { get; init; } = Defaults.MaxHalvings;

    /// <summary>
    /// The largest number of held-out checks per ramp at which a governor may slow the ramp (default
    /// <see cref="Defaults.MaxGovernedChecks"/>, eight epochs at the default check rate; 0 keeps the scheduled speed; in [0, 10000]). While the held-out drift is outside the tolerance and moving on would widen
    /// it (judged from the held quantity's slope along the ramp: by r from the source and target values at the check,
    /// by the scheduled multiplier from the estimator), the ramp's speed falls linearly from 1 at the tolerance to 0 at
    /// twice the tolerance, so that the driven variable waits for the network to follow. After this many slowed checks
    /// the ramp goes on at its scheduled speed: every ramp stays bounded. On the main job's transfer the governor is
    /// what lets the new classes be learnt before r moves on (docs/processes.md); on its iso-classification it changes
    /// nothing measurable.
    /// </summary>
    public int MaxGovernedChecks { get; init; } = Defaults.MaxGovernedChecks;

    /// <summary>
    /// Whether the controller is fed forward from the derivative estimator's slopes as the driven variable moves
    /// (default <see cref="Defaults.Feedforward"/>, off: on the main job's iso-classification the encoder-fluctuation slopes over-predicted the change of
    /// γ, which cost rollbacks and three times the epochs of the run without it; see docs/processes.md).
    /// </summary>
    public bool Feedforward { get; init; } = Defaults.Feedforward;

    /// <summary>The controller's gains and bounds (default <see cref="ConstraintControllerOptions.Default"/>).</summary>
    public ConstraintControllerOptions Controller { get; init; } = ConstraintControllerOptions.Default;

    /// <summary>Every problem of these settings (the controller's included, prefixed "Controller."), one line each; empty when valid.</summary>
    public IReadOnlyList<string> Problems() =>
        new ProblemList()
            .InRange(RampEpochs, 0, 1000, false, true, nameof(RampEpochs))
            .Require(ChecksPerEpoch is >= 1 and <= 1000, string.Create(CultureInfo.InvariantCulture, $"ChecksPerEpoch must be in [1, 1000]; it is {ChecksPerEpoch}."))
            .AtLeast(ConsecutiveChecks, 1, nameof(ConsecutiveChecks))
            .Require(MaxDwellChecks >= ConsecutiveChecks, string.Create(CultureInfo.InvariantCulture, $"MaxDwellChecks must be ≥ ConsecutiveChecks ({ConsecutiveChecks}); it is {MaxDwellChecks}."))
            .Require(MaxGovernedChecks is >= 0 and <= 10000, string.Create(CultureInfo.InvariantCulture, $"MaxGovernedChecks must be in [0, 10000]; it is {MaxGovernedChecks}."))
            .Require(MaxHalvings is >= 0 and <= 10, string.Create(CultureInfo.InvariantCulture, $"MaxHalvings must be in [0, 10]; it is {MaxHalvings}."))
            .Nested(Controller?.Problems(), nameof(Controller))
            .Problems;

    /// <summary>Throws <see cref="FreeEnergyConfigurationException"/> listing every problem, or returns these settings.</summary>
    public RampProtocol Validate()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new FreeEnergyConfigurationException(problems);
    }

    /// <summary>The defaults, one place for the initialisers above and every optional parameter that refers to them.</summary>
    public static class Defaults
    {
        /// <summary>Epochs over which the driven variable moves from one recorded step to the next.</summary>
        public const double RampEpochs = 1;

        /// <summary>Held-out checks per epoch.</summary>
        public const int ChecksPerEpoch = 4;

        /// <summary>Consecutive in-tolerance checks that accept a step.</summary>
        public const int ConsecutiveChecks = 2;

        /// <summary>The largest number of checks at a step's values after the ramp before a rollback.</summary>
        public const int MaxDwellChecks = 16;

        /// <summary>How many times a step may be halved after a rollback.</summary>
        public const int MaxHalvings = 1;

        /// <summary>The largest number of held-out checks per ramp at which the governor may slow the ramp.</summary>
        public const int MaxGovernedChecks = 32;

        /// <summary>The controller is not fed forward from the estimator's slopes.</summary>
        public const bool Feedforward = false;
    }
}
