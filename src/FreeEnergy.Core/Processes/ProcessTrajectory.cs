using System.Globalization;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Surface;

namespace FreeEnergy.Core.Processes;

/// <summary>
/// The steps of a quasi-static process (step 0 is the starting point) with its bookkeeping: which steps did
/// not hold the constraint, the largest drift, the work W = ∫ D dλ + ∫ C dγ (trapezoid rule over the steps)
/// against the change of the free energy ΔF, and the hysteresis of a forward/reverse pair.
/// </summary>
/// <remarks>
/// Along a quasi-static path on one task dF = D dλ + C dγ, so W ≈ ΔF; the gap W − ΔF measures discretisation
/// and departure from equilibrium. For transfer F also depends on the mixture ratio r, so W ≠ ΔF there.
/// </remarks>
public sealed class ProcessTrajectory
{
    /// <summary>Creates a trajectory from its steps.</summary>
    /// <param name="steps">The steps in order; at least one.</param>
    /// <param name="stoppedOnFailure">Whether the process stopped early because a step did not hold its constraint.</param>
    /// <param name="checks">The held-out checks of a controlled run (none for other methods).</param>
    /// <exception cref="ArgumentException">No steps.</exception>
    public ProcessTrajectory(IEnumerable<ProcessStep> steps, bool stoppedOnFailure = false, IEnumerable<ControllerCheck>? checks = null)
    {
        Checks = checks is null ? [] : [.. checks];
        ArgumentNullException.ThrowIfNull(steps);
        Steps = [.. steps];
        if (Steps.Count == 0)
        {
            throw new ArgumentException("A trajectory needs at least its starting point.", nameof(steps));
        }

        StoppedOnFailure = stoppedOnFailure;
        FailedSteps = [.. Steps.Where(s => !s.WithinTolerance).Select(s => s.Index)];
    }

    /// <summary>The held-out checks of a controlled run, in order (empty for the other methods).</summary>
    public IReadOnlyList<ControllerCheck> Checks { get; }

    /// <summary>Optimisation steps over all steps (steps that did not record them count 0).</summary>
    public long TotalOptimizationSteps => Steps.Sum(s => s.OptimizationSteps ?? 0);

    /// <summary>Training examples processed over all steps (steps that did not record them count 0).</summary>
    public long TotalExamplesSeen => Steps.Sum(s => s.ExamplesSeen ?? 0);

    /// <summary>The steps; step 0 is the starting point.</summary>
    public IReadOnlyList<ProcessStep> Steps { get; }

    /// <summary>The steps as points of the equilibrium surface (λ, γ, R, D, C), in order.</summary>
    public IReadOnlyList<SurfacePoint> Points => [.. Steps.Select(s => s.ToSurfacePoint())];

    /// <summary>The procedure that produced the trajectory.</summary>
    public ProcessKind Kind => Steps[0].Process;

    /// <summary>The quantity held.</summary>
    public HeldQuantity Held => Steps[0].Held;

    /// <summary>The driven multiplier.</summary>
    public DrivenMultiplier Driven => Steps[0].Driven;

    /// <summary>The value the held quantity was held at (null when nothing was held).</summary>
    public double? Target => Steps[0].Target;

    /// <summary>The tolerance on the relative drift.</summary>
    public double Tolerance => Steps[0].Tolerance;

    /// <summary>The indices of the steps whose drift exceeded the tolerance (or, for the authors' controller, that hit the cap).</summary>
    public IReadOnlyList<int> FailedSteps { get; }

    /// <summary>Whether every step held its constraint.</summary>
    public bool HeldEverywhere => FailedSteps.Count == 0;

    /// <summary>Whether the process stopped early at a step that did not hold (only with <see cref="QuasiStaticProcess.StopOnFailure"/>); not stored in files.</summary>
    public bool StoppedOnFailure { get; }

    /// <summary>The largest |drift| over the steps.</summary>
    public double MaxAbsoluteDrift => Steps.Max(s => Math.Abs(s.Drift));

    /// <summary>Training epochs over all steps.</summary>
    public int TotalEpochs => Steps.Sum(s => s.Epochs);

    /// <summary>Corrections over all steps.</summary>
    public int TotalCorrections => Steps.Sum(s => s.Corrections);

    /// <summary>W = ∫ D dλ + ∫ C dγ along the steps by the trapezoid rule, nats per example.</summary>
    public double Work
    {
        get
        {
            double work = 0;
            for (int i = 1; i < Steps.Count; i++)
            {
                var (a, b) = (Steps[i - 1], Steps[i]);
                work += (0.5 * (a.Distortion + b.Distortion) * (b.Lambda - a.Lambda)) + (0.5 * (a.Classification + b.Classification) * (b.Gamma - a.Gamma));
            }

            return work;
        }
    }

    /// <summary>ΔF = F(last step) − F(first step).</summary>
    public double FreeEnergyChange => Steps[^1].FreeEnergy - Steps[0].FreeEnergy;

    /// <summary>The last step.</summary>
    public ProcessStep Final => Steps[^1];

    /// <summary>Reads a trajectory written by a process's records file.</summary>
    /// <exception cref="InvalidDataException">The file holds a line that is not a process step, or no steps.</exception>
    public static ProcessTrajectory Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var steps = JsonLinesFile.Read<ProcessStep>(path, s =>
            s.Kind != ProcessStep.KindName ? $"not a process step (kind '{s.Kind}')"
            : s.Version > ProcessStep.CurrentVersion ? string.Create(CultureInfo.InvariantCulture, $"record version {s.Version} is newer than this library's {ProcessStep.CurrentVersion}")
            : !(double.IsFinite(s.Lambda) && s.Lambda > 0) ? string.Create(CultureInfo.InvariantCulture, $"λ must be finite and > 0; got {s.Lambda}")
            : !(double.IsFinite(s.Gamma) && s.Gamma >= 0) ? string.Create(CultureInfo.InvariantCulture, $"γ must be finite and ≥ 0; got {s.Gamma}")
            : null);
        if (steps.Count == 0)
        {
            throw new InvalidDataException($"'{path}' holds no process steps.");
        }

        string checksPath = ChecksPath(path);
        var checks = File.Exists(checksPath)
            ? JsonLinesFile.Read<ControllerCheck>(checksPath, c => c.Kind != ControllerCheck.KindName ? $"not a controller check (kind '{c.Kind}')" : null)
            : null;
        return new ProcessTrajectory(steps, false, checks);
    }

    /// <summary>
    /// Writes the steps as JSON lines (atomically: a temporary file is moved into place), and the controller checks,
    /// when there are any, to the sibling file <see cref="ChecksPath"/>.
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        JsonLinesFile.WriteAtomically(path, Steps);
        if (Checks.Count > 0)
        {
            JsonLinesFile.WriteAtomically(ChecksPath(path), Checks);
        }
    }

    /// <summary>The file the controller checks of the records file <paramref name="recordFile"/> go to: its name with <c>.checks.jsonl</c> in place of its extension.</summary>
    public static string ChecksPath(string recordFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(recordFile);
        return Path.ChangeExtension(recordFile, null) + ".checks.jsonl";
    }

    /// <summary>
    /// Compares a forward run with the reverse run that retraced its driven path from its end point: each
    /// forward step is paired with the reverse step whose driven value is equal (relative difference ≤ 1e-9).
    /// </summary>
    /// <param name="forward">The forward trajectory.</param>
    /// <param name="reverse">The reverse trajectory (same driven multiplier).</param>
    /// <exception cref="ArgumentException">The trajectories drive different multipliers.</exception>
    public static HysteresisReport Hysteresis(ProcessTrajectory forward, ProcessTrajectory reverse)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(reverse);
        if (forward.Driven != reverse.Driven)
        {
            throw new ArgumentException($"Both runs must drive the same multiplier; the forward run drives {forward.Driven}, the reverse run {reverse.Driven}.", nameof(reverse));
        }

        var points = new List<HysteresisPoint>();
        foreach (var f in forward.Steps)
        {
            var r = reverse.Steps.FirstOrDefault(s => Math.Abs(s.DrivenValue - f.DrivenValue) <= 1e-9 * Math.Max(1, Math.Abs(f.DrivenValue)));
            if (r is not null)
            {
                points.Add(new HysteresisPoint(f.DrivenValue, f.FreeValue, r.FreeValue, r.Rate - f.Rate, r.Distortion - f.Distortion, r.Classification - f.Classification));
            }
        }

        return new HysteresisReport(points, forward.Work, reverse.Work);
    }
}
