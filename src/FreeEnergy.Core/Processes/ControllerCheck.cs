using System.Text.Json.Serialization;

namespace FreeEnergy.Core.Processes;

/// <summary>
/// One held-out check of a controlled process (<see cref="ProcessMethod.Controlled"/>): where the run was, what the
/// held quantity measured on held-out data (fixed examples, fixed z-noise), and the controller's state. A
/// process's record file has a sibling <c>*.checks.jsonl</c> with one of these per line.
/// </summary>
public sealed record ControllerCheck
{
    /// <summary>The value of <see cref="Kind"/> on every check record.</summary>
    public const string KindName = "freeEnergy.controllerCheck";

    /// <summary>Marks the line as a controller check.</summary>
    public string Kind { get; init; } = KindName;

    /// <summary>The index of the recorded step the run was moving to.</summary>
    public int Step { get; init; }

    /// <summary>"ramp" while the driven variable moves, "dwell" at a step's values, "start" for the first measurement.</summary>
    public string Phase { get; init; } = string.Empty;

    /// <summary>Optimisation steps since the process started.</summary>
    public long OptimizationStep { get; init; }

    /// <summary>Epochs since the process started (optimisation steps / steps per epoch).</summary>
    public double Epoch { get; init; }

    /// <summary>λ at the check.</summary>
    public double Lambda { get; init; }

    /// <summary>γ at the check.</summary>
    public double Gamma { get; init; }

    /// <summary>The task ratio r (null on one task).</summary>
    [JsonPropertyName("mix")] // the field name in the records files; the property has TaskMixture's name for r
    public double? Ratio { get; init; }

    /// <summary>The held quantity on held-out data.</summary>
    public double HeldOut { get; init; }

    /// <summary>The value held.</summary>
    public double Target { get; init; }

    /// <summary>(held-out − target)/target.</summary>
    public double Drift { get; init; }

    /// <summary>Whether |<see cref="Drift"/>| was within the tolerance.</summary>
    public bool WithinTolerance { get; init; }

    /// <summary>The controller's training set point after this check's correction.</summary>
    public double SetPoint { get; init; }

    /// <summary>The controller's smoothed training measurement.</summary>
    public double Smoothed { get; init; }

    /// <summary>The controller's log-sensitivity s = ∂ln Q/∂ln m.</summary>
    public double Sensitivity { get; init; }

    /// <summary>R on held-out data.</summary>
    public double Rate { get; init; }

    /// <summary>D on held-out data.</summary>
    public double Distortion { get; init; }

    /// <summary>C on held-out data.</summary>
    public double Classification { get; init; }
}
