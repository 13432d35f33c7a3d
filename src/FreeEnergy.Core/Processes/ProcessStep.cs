using System.Text.Json.Serialization;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Surface;

namespace FreeEnergy.Core.Processes;

/// <summary>
/// One finished step of a quasi-static process, as stored on one line of a trajectory's JSON-lines file
/// (camelCase fields). Functionals are measured on the evaluation data (for transfer: the evaluation mixture at
/// <see cref="Ratio"/>), in nats per example. Step 0 is the starting point, measured without training.
/// </summary>
public sealed record ProcessStep
{
    /// <summary>The value of <see cref="Kind"/> on every step record.</summary>
    public const string KindName = "freeEnergy.processStep";

    /// <summary>The newest record version this library writes and reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>Marks the line as a process step: <see cref="KindName"/> on every record this library writes.</summary>
    public string Kind { get; init; } = string.Empty;

    /// <summary>The record format version.</summary>
    public int Version { get; init; } = CurrentVersion;

    /// <summary>The procedure that produced the step.</summary>
    public ProcessKind Process { get; init; }

    /// <summary>The quantity held (<see cref="HeldQuantity.None"/> for schedules).</summary>
    public HeldQuantity Held { get; init; }

    /// <summary>The multiplier driven along the path.</summary>
    public DrivenMultiplier Driven { get; init; }

    /// <summary>The step's index; 0 is the starting point.</summary>
    public int Index { get; init; }

    /// <summary>λ at the end of the step.</summary>
    public double Lambda { get; init; }

    /// <summary>γ at the end of the step.</summary>
    public double Gamma { get; init; }

    /// <summary>The mixture ratio r of a transfer (null for processes on one task).</summary>
    [JsonPropertyName("mix")] // the field name in the records files; the property has TaskMixture's name for r
    public double? Ratio { get; init; }

    /// <summary>R on the evaluation data.</summary>
    public double Rate { get; init; }

    /// <summary>D on the evaluation data.</summary>
    public double Distortion { get; init; }

    /// <summary>C on the evaluation data.</summary>
    public double Classification { get; init; }

    /// <summary>Accuracy on the evaluation data.</summary>
    public double Accuracy { get; init; }

    /// <summary>J = R + λD + γC on the evaluation data: the free energy F(λ, γ) when the step's model is at equilibrium.</summary>
    public double FreeEnergy { get; init; }

    /// <summary>The value the held quantity is held at (null when nothing is held).</summary>
    public double? Target { get; init; }

    /// <summary>The signed relative drift of the held quantity, (Q − Q*)/|Q*| (0 when nothing is held).</summary>
    public double Drift { get; init; }

    /// <summary>The tolerance on |<see cref="Drift"/>| the process used.</summary>
    public double Tolerance { get; init; }

    /// <summary>Whether |<see cref="Drift"/>| ≤ <see cref="Tolerance"/> (for the authors' controller: whether C &lt; C₀ was reached before its cap).</summary>
    public bool WithinTolerance { get; init; } = true;

    /// <summary>Corrections of the free multiplier after the first relaxation (for the authors' controller: passes beyond the first).</summary>
    public int Corrections { get; init; }

    /// <summary>Training epochs spent on this step, corrections included.</summary>
    public int Epochs { get; init; }

    /// <summary>Whether the last relaxation of the step met the trainer's convergence rule.</summary>
    public bool Converged { get; init; }

    /// <summary>Optimisation steps spent on this step (null in records of older versions).</summary>
    public long? OptimizationSteps { get; init; }

    /// <summary>Training examples processed on this step; a mixture step counts both tasks' batches (null in records of older versions).</summary>
    public long? ExamplesSeen { get; init; }

    /// <summary>Wall-clock seconds of the step (relaxations, measurements and derivative estimates).</summary>
    public double Seconds { get; init; }

    /// <summary>Transfer: accuracy on the source evaluation data.</summary>
    public double? SourceAccuracy { get; init; }

    /// <summary>Transfer: accuracy on the target evaluation data.</summary>
    public double? TargetAccuracy { get; init; }

    /// <summary>Transfer: C on the source evaluation data.</summary>
    public double? SourceClassification { get; init; }

    /// <summary>Transfer: C on the target evaluation data.</summary>
    public double? TargetClassification { get; init; }

    /// <summary>λ and γ.</summary>
    [JsonIgnore]
    public Multipliers Multipliers => new(Lambda, Gamma);

    /// <summary>The value of the driven multiplier.</summary>
    [JsonIgnore]
    public double DrivenValue => Driven == DrivenMultiplier.Lambda ? Lambda : Gamma;

    /// <summary>The value of the corrected (free) multiplier.</summary>
    [JsonIgnore]
    public double FreeValue => Driven == DrivenMultiplier.Lambda ? Gamma : Lambda;

    /// <summary>The evaluation functionals (the count is not stored: 0).</summary>
    [JsonIgnore]
    public Functionals Evaluation => new(Rate, Distortion, Classification, Accuracy, 0);

    /// <summary>This step as a point of the equilibrium surface (λ, γ, R, D, C on the evaluation data).</summary>
    public SurfacePoint ToSurfacePoint() => new(Lambda, Gamma, Rate, Distortion, Classification);
}
