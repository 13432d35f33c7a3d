using System.Diagnostics;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;

namespace FreeEnergy.Core.Processes;

/// <summary>A measurement of a process: the (mixture's) functionals and, in a transfer, the source's and target's.</summary>
internal sealed record ProcessMeasurement(Functionals Mixture, Functionals? Source, Functionals? Target)
{
    /// <summary>
    /// Evaluates <paramref name="model"/> on <paramref name="source"/> and, in a transfer, on <paramref name="target"/>
    /// (the model's fixed evaluation noise), mixed at ratio <paramref name="r"/>; on one task the mixture is the source.
    /// </summary>
    public static ProcessMeasurement Of(RateDistortionModel model, LabeledTensorDataset source, LabeledTensorDataset? target, double r, int batchSize)
    {
        var s = model.Evaluate(source, batchSize);
        if (target is null)
        {
            return new ProcessMeasurement(s, null, null);
        }

        var t = model.Evaluate(target, batchSize);
        return new ProcessMeasurement(Functionals.Mixture(s, t, r), s, t);
    }
}

/// <summary>The steps of one run: logs, reports, records each step as it finishes, and decides whether to stop on failure.</summary>
internal sealed class StepRecorder(QuasiStaticProcess owner, ProcessKind kind, HeldQuantity held, DrivenMultiplier driven, IProgress<ProcessStep>? progress)
{
    private readonly List<ProcessStep> steps = [];
    private readonly List<ControllerCheck> checks = [];
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private bool stopped;

    public ProcessKind Kind => kind;

    public HeldQuantity Held => held;

    public DrivenMultiplier Driven => driven;

    /// <summary>Seconds since the run began, or since the last <see cref="BeginStep"/>: a step's time.</summary>
    public double Seconds => clock.Elapsed.TotalSeconds;

    /// <summary>Starts timing the next step.</summary>
    public void BeginStep() => clock.Restart();

    /// <summary>Adds step 0, the measurement at the start (no corrections, no epochs).</summary>
    public void AddStart(Multipliers start, double? ratio, ProcessMeasurement measured, double? goal, int total) =>
        Add(Record(0, start, ratio, measured, goal, 0, 0, false, Seconds), total);

    /// <summary>Adds a finished step; false when the process must stop (a failed step with stop-on-failure).</summary>
    public bool Add(ProcessStep step, int total)
    {
        steps.Add(step);
        if (owner.RecordFile is not null)
        {
            JsonLinesFile.WriteAtomically(owner.RecordFile, steps);
            if (checks.Count > 0)
            {
                JsonLinesFile.WriteAtomically(ProcessTrajectory.ChecksPath(owner.RecordFile), checks);
            }
        }

        string mix = ProcessLog.MixText(step.Ratio);
        ProcessLog.StepFinished(owner.Logger, kind, step.Index, total, step.Lambda, step.Gamma, mix, step.Rate, step.Distortion, step.Classification, step.Drift, step.Corrections, step.Epochs, step.Seconds);
        progress?.Report(step);
        if (step.WithinTolerance || step.Index == 0)
        {
            return true;
        }

        ProcessLog.NotHeld(owner.Logger, kind, step.Index, held, step.Tolerance, step.Drift, step.Corrections);
        if (owner.StopOnFailure)
        {
            stopped = true;
            ProcessLog.StoppedOnFailure(owner.Logger, kind, step.Index);
            return false;
        }

        return true;
    }

    /// <summary>Adds a held-out check of a controlled run (written with the next finished step).</summary>
    public void AddCheck(ControllerCheck check) => checks.Add(check);

    public ProcessTrajectory Finish()
    {
        var trajectory = new ProcessTrajectory(steps, stopped, checks);
        ProcessLog.Finished(owner.Logger, kind, steps.Count - 1, trajectory.FailedSteps.Count, trajectory.MaxAbsoluteDrift, trajectory.Work, trajectory.FreeEnergyChange, trajectory.TotalEpochs);
        return trajectory;
    }

    /// <summary>A step record of the run from its measurement.</summary>
    public ProcessStep Record(int index, Multipliers m, double? mix, ProcessMeasurement measured, double? goal, int corrections, int epochs, bool converged, double seconds)
    {
        var f = measured.Mixture;
        double drift = goal is double g ? QuasiStaticProcess.Drift(QuasiStaticProcess.HeldValue(held, f), g) : 0;
        return new ProcessStep
        {
            Kind = ProcessStep.KindName,
            Process = kind,
            Held = held,
            Driven = driven,
            Index = index,
            Lambda = m.Lambda,
            Gamma = m.Gamma,
            Ratio = mix,
            Rate = f.Rate,
            Distortion = f.Distortion,
            Classification = f.Classification,
            Accuracy = f.Accuracy,
            FreeEnergy = f.Objective(m),
            Target = goal,
            Drift = drift,
            Tolerance = owner.Tolerance,
            WithinTolerance = goal is null || Math.Abs(drift) <= owner.Tolerance,
            Corrections = corrections,
            Epochs = epochs,
            Converged = converged,
            Seconds = seconds,
            SourceAccuracy = measured.Source?.Accuracy,
            TargetAccuracy = measured.Target?.Accuracy,
            SourceClassification = measured.Source?.Classification,
            TargetClassification = measured.Target?.Classification,
        };
    }
}
