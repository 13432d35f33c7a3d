using System.Globalization;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Derivatives;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Surface;
using FreeEnergy.Core.Training;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FreeEnergy.Core.Processes;

/// <summary>
/// Drives (λ, γ) (and, for transfer, the task mixture r) in small steps along the equilibrium surface under a
/// constraint (theory.md §3–4): iso-classification (hold C), iso-rate (hold R), iso-distortion (hold D), or a
/// user schedule; and transfers a representation from a source task to a target task at constant C.
/// </summary>
/// <remarks>
/// <para>
/// <b>Predictor–corrector.</b> Each step sets the driven multiplier to the next value of the path and
/// <i>predicts</i> the free one from the derivative estimator's slopes so that the held quantity Q returns to its
/// target Q* to first order (e.g. iso-C driving λ: Δγ = (C* − C − C_λ·Δλ)/C_γ; for R the slopes are
/// R_λ = −λD_λ − γC_λ and R_γ = −λD_γ − γC_γ). The model is then <i>relaxed</i> (warm-started training with the
/// trainer), Q is measured on the evaluation data, and while |Q − Q*|/|Q*| exceeds <see cref="Tolerance"/> the free
/// multiplier is <i>corrected</i>: first a Newton step with the estimator's slope, then secant steps on the
/// measured values of this step, each followed by a relaxation. Every change of the free multiplier is bounded
/// (at most <see cref="MaxRelativeChange"/>·max(|value|, 1), λ never below (1 − <see cref="MaxRelativeChange"/>)·λ,
/// γ ≥ 0). At most <see cref="MaxCorrections"/> corrections are made per step; a step that still drifts is
/// recorded with <see cref="ProcessStep.WithinTolerance"/> false and listed in
/// <see cref="ProcessTrajectory.FailedSteps"/>; the process goes on (or stops, with <see cref="WithStopOnFailure"/>).
/// No loop is unbounded.
/// </para>
/// <para>
/// <b>Starting point.</b> The model must be at equilibrium at the starting multipliers (trained to convergence
/// there by the caller). Q* defaults to Q measured on the evaluation data at the start (step 0, no training).
/// Otherwise training keeps changing Q by itself and holding it means nothing.
/// </para>
/// <para>
/// <b>Records.</b> With <see cref="WithRecordFile"/> every finished step is written at once (the whole file is
/// rewritten atomically as JSON lines, see <see cref="ProcessStep"/>); a cancellation leaves a valid file of the
/// finished steps. <see cref="ProcessTrajectory.Load"/> reads it back.
/// </para>
/// <para>
/// The settings are one immutable <see cref="QuasiStaticProcessOptions"/>, validated as a whole when the process is
/// made; the <c>With…</c> methods check their arguments and return a new process, never changing the receiver (so
/// <c>process.WithRecordFile(…).Reverse(…)</c> leaves <c>process</c> as it was). Runs are synchronous; use one model
/// from one thread at a time. The model is changed in place.
/// </para>
/// </remarks>
public sealed class QuasiStaticProcess
{
    private readonly EquilibriumTrainer trainer;
    private readonly IDerivativeEstimator estimator;
    private readonly ILogger logger;

    /// <summary>Creates a process with the default settings (<see cref="QuasiStaticProcessOptions"/>).</summary>
    /// <param name="trainer">Relaxes the model after every change of the multipliers (warm-started); its convergence rule decides how long.</param>
    /// <param name="estimator">Gives the slopes for the predictor and the first correction.</param>
    public QuasiStaticProcess(EquilibriumTrainer trainer, IDerivativeEstimator estimator)
        : this(trainer, estimator, new QuasiStaticProcessOptions())
    {
    }

    /// <summary>Creates a process with <paramref name="options"/>, validated as a whole.</summary>
    /// <param name="trainer">Relaxes the model after every change of the multipliers (warm-started); its convergence rule decides how long.</param>
    /// <param name="estimator">Gives the slopes for the predictor and the first correction.</param>
    /// <param name="options">The settings.</param>
    /// <param name="logger">One Information message per step, corrections at Debug, failures at Warning (default: none).</param>
    /// <exception cref="FreeEnergy.Core.Diagnostics.FreeEnergyConfigurationException">The settings have problems; every one is listed.</exception>
    public QuasiStaticProcess(EquilibriumTrainer trainer, IDerivativeEstimator estimator, QuasiStaticProcessOptions options, ILogger? logger = null)
    {
        this.trainer = trainer ?? throw new ArgumentNullException(nameof(trainer));
        this.estimator = estimator ?? throw new ArgumentNullException(nameof(estimator));
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Validate();
        this.logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The settings.</summary>
    public QuasiStaticProcessOptions Options { get; }

    /// <summary>The logger (for the process's internal parts).</summary>
    internal ILogger Logger => logger;

    /// <summary>The largest accepted relative drift |Q − Q*|/|Q*| of the held quantity (default <see cref="QuasiStaticProcessOptions.Defaults.Tolerance"/>).</summary>
    public double Tolerance => Options.Tolerance;

    /// <summary>The largest number of corrections per step (default <see cref="QuasiStaticProcessOptions.Defaults.MaxCorrections"/>; 0: predict only).</summary>
    public int MaxCorrections => Options.MaxCorrections;

    /// <summary>The bound on one change of the free multiplier, relative to max(|value|, 1) (default <see cref="QuasiStaticProcessOptions.Defaults.MaxRelativeChange"/>).</summary>
    public double MaxRelativeChange => Options.MaxRelativeChange;

    /// <summary>Whether the process stops at the first step that does not hold its constraint (default false: it records the failure and goes on).</summary>
    public bool StopOnFailure => Options.StopOnFailure;

    /// <summary>The JSON-lines file every finished step is written to, or null.</summary>
    public string? RecordFile => Options.RecordFile;

    /// <summary>How the constraint is held (default <see cref="QuasiStaticProcessOptions.Defaults.Method"/>).</summary>
    public ProcessMethod Method => Options.Method;

    /// <summary>The ramp, gate and controller settings of <see cref="ProcessMethod.Controlled"/> (default <see cref="RampProtocol.Default"/>).</summary>
    public RampProtocol Protocol => Options.Protocol;

    /// <summary>A process with <paramref name="options"/> (validated as a whole), this process's trainer, estimator and logger; this process is unchanged.</summary>
    /// <exception cref="FreeEnergy.Core.Diagnostics.FreeEnergyConfigurationException">The settings have problems; every one is listed.</exception>
    public QuasiStaticProcess WithOptions(QuasiStaticProcessOptions options) => new(trainer, estimator, options, logger);

    /// <summary>A process with the tolerance on the relative drift of the held quantity set (finite, &gt; 0); this process is unchanged.</summary>
    public QuasiStaticProcess WithTolerance(double tolerance)
    {
        Guard.Positive(tolerance, "The tolerance");
        return WithOptions(Options with { Tolerance = tolerance });
    }

    /// <summary>A process with the largest number of corrections per step set (≥ 0); this process is unchanged.</summary>
    public QuasiStaticProcess WithMaxCorrections(int corrections)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(corrections);
        return WithOptions(Options with { MaxCorrections = corrections });
    }

    /// <summary>A process with the bound on one change of the free multiplier set, relative to max(|value|, 1), in (0, 1); this process is unchanged.</summary>
    public QuasiStaticProcess WithMaxRelativeChange(double fraction)
    {
        Guard.InRange(fraction, 0, 1, false, false, "The largest relative change");
        return WithOptions(Options with { MaxRelativeChange = fraction });
    }

    /// <summary>A process that holds the constraint by <paramref name="method"/>; this process is unchanged.</summary>
    public QuasiStaticProcess WithMethod(ProcessMethod method)
    {
        if (!Enum.IsDefined(method))
        {
            throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown process method.");
        }

        return WithOptions(Options with { Method = method });
    }

    /// <summary>A process with the ramp, gate and controller settings of <see cref="ProcessMethod.Controlled"/> set (every problem reported at once); this process is unchanged.</summary>
    /// <exception cref="FreeEnergy.Core.Diagnostics.FreeEnergyConfigurationException">The settings have problems.</exception>
    public QuasiStaticProcess WithProtocol(RampProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        return WithOptions(Options with { Protocol = protocol.Validate() });
    }

    /// <summary>A process that stops (or not) at the first step that does not hold its constraint; this process is unchanged.</summary>
    public QuasiStaticProcess WithStopOnFailure(bool stop = true) => WithOptions(Options with { StopOnFailure = stop });

    /// <summary>A process that writes every finished step to <paramref name="path"/> (JSON lines, rewritten atomically; an existing file is replaced); this process is unchanged.</summary>
    public QuasiStaticProcess WithRecordFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return WithOptions(Options with { RecordFile = Path.GetFullPath(path) });
    }

    /// <summary>A process with the logger set (one Information message per step, corrections at Debug, failures at Warning); this process is unchanged.</summary>
    public QuasiStaticProcess WithLogger(ILogger? value) => new(trainer, estimator, Options, value);

    /// <summary>Iso-classification: drives one multiplier along <paramref name="path"/> and corrects the other to hold C.</summary>
    /// <inheritdoc cref="Run" path="/param"/>
    /// <inheritdoc cref="Run" path="/returns"/>
    /// <inheritdoc cref="Run" path="/exception"/>
    public ProcessTrajectory IsoClassification(
        RateDistortionModel model,
        Multipliers start,
        IReadOnlyList<double> path,
        LabeledTensorDataset training,
        LabeledTensorDataset evaluation,
        DrivenMultiplier driven = DrivenMultiplier.Lambda,
        double? target = null,
        IProgress<ProcessStep>? progress = null,
        CancellationToken cancellationToken = default) =>
        Run(HeldQuantity.Classification, model, start, path, training, evaluation, driven, target, progress, cancellationToken);

    /// <summary>Iso-rate: drives one multiplier along <paramref name="path"/> and corrects the other to hold R.</summary>
    /// <inheritdoc cref="Run" path="/param"/>
    /// <inheritdoc cref="Run" path="/returns"/>
    /// <inheritdoc cref="Run" path="/exception"/>
    public ProcessTrajectory IsoRate(
        RateDistortionModel model,
        Multipliers start,
        IReadOnlyList<double> path,
        LabeledTensorDataset training,
        LabeledTensorDataset evaluation,
        DrivenMultiplier driven = DrivenMultiplier.Lambda,
        double? target = null,
        IProgress<ProcessStep>? progress = null,
        CancellationToken cancellationToken = default) =>
        Run(HeldQuantity.Rate, model, start, path, training, evaluation, driven, target, progress, cancellationToken);

    /// <summary>Iso-distortion: drives one multiplier along <paramref name="path"/> and corrects the other to hold D.</summary>
    /// <inheritdoc cref="Run" path="/param"/>
    /// <inheritdoc cref="Run" path="/returns"/>
    /// <inheritdoc cref="Run" path="/exception"/>
    public ProcessTrajectory IsoDistortion(
        RateDistortionModel model,
        Multipliers start,
        IReadOnlyList<double> path,
        LabeledTensorDataset training,
        LabeledTensorDataset evaluation,
        DrivenMultiplier driven = DrivenMultiplier.Lambda,
        double? target = null,
        IProgress<ProcessStep>? progress = null,
        CancellationToken cancellationToken = default) =>
        Run(HeldQuantity.Distortion, model, start, path, training, evaluation, driven, target, progress, cancellationToken);

    /// <summary>
    /// Iso-classification from a point of an <see cref="EquilibriumSurface"/>: <paramref name="model"/> holds that point's
    /// weights (<see cref="EquilibriumSurface.LoadModel"/>), the process starts at its multipliers. The trajectory's
    /// <see cref="ProcessTrajectory.Points"/> are surface points again.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="start"/> is a diverged point (it has no equilibrium to start from).</exception>
    public ProcessTrajectory IsoClassification(RateDistortionModel model, SurfaceRecord start, IReadOnlyList<double> path, LabeledTensorDataset training, LabeledTensorDataset evaluation, DrivenMultiplier driven = DrivenMultiplier.Lambda, double? target = null, IProgress<ProcessStep>? progress = null, CancellationToken cancellationToken = default) =>
        IsoClassification(model, StartOf(start), path, training, evaluation, driven, target, progress, cancellationToken);

    /// <summary>Iso-rate from a point of an <see cref="EquilibriumSurface"/> (see the iso-classification overload that takes a <see cref="SurfaceRecord"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="start"/> is a diverged point.</exception>
    public ProcessTrajectory IsoRate(RateDistortionModel model, SurfaceRecord start, IReadOnlyList<double> path, LabeledTensorDataset training, LabeledTensorDataset evaluation, DrivenMultiplier driven = DrivenMultiplier.Lambda, double? target = null, IProgress<ProcessStep>? progress = null, CancellationToken cancellationToken = default) =>
        IsoRate(model, StartOf(start), path, training, evaluation, driven, target, progress, cancellationToken);

    /// <summary>Iso-distortion from a point of an <see cref="EquilibriumSurface"/> (see the iso-classification overload that takes a <see cref="SurfaceRecord"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="start"/> is a diverged point.</exception>
    public ProcessTrajectory IsoDistortion(RateDistortionModel model, SurfaceRecord start, IReadOnlyList<double> path, LabeledTensorDataset training, LabeledTensorDataset evaluation, DrivenMultiplier driven = DrivenMultiplier.Lambda, double? target = null, IProgress<ProcessStep>? progress = null, CancellationToken cancellationToken = default) =>
        IsoDistortion(model, StartOf(start), path, training, evaluation, driven, target, progress, cancellationToken);

    /// <summary>The multipliers of a finished surface point, the start of a process.</summary>
    private static Multipliers StartOf(SurfaceRecord start, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(start))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(start, name);
        return start.IsDiverged
            ? throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Surface point {start.Index} (λ = {start.Lambda}, γ = {start.Gamma}) diverged: start from a finished point."), name)
            : new Multipliers(start.Lambda, start.Gamma);
    }

    /// <summary>
    /// Runs a constrained process: step 0 measures the model at <paramref name="start"/>; step k sets the driven
    /// multiplier to <c>path[k − 1]</c>, predicts and corrects the free one to hold <paramref name="held"/>.
    /// To measure hysteresis, run the reversed path from the end point with the same target and compare with
    /// <see cref="ProcessTrajectory.Hysteresis"/>.
    /// </summary>
    /// <param name="held">The quantity held (not <see cref="HeldQuantity.None"/>; use <see cref="FollowSchedule"/>).</param>
    /// <param name="model">The model, at equilibrium at <paramref name="start"/>; trained in place.</param>
    /// <param name="start">The multipliers the model is at equilibrium at.</param>
    /// <param name="path">The values of the driven multiplier after the start, in order; at least one (λ values &gt; 0, γ values ≥ 0).</param>
    /// <param name="training">The training data.</param>
    /// <param name="evaluation">The data the held quantity is measured on.</param>
    /// <param name="driven">Which multiplier follows the path (default λ).</param>
    /// <param name="target">The value to hold (finite, &gt; 0), or null for the value measured at the start.</param>
    /// <param name="progress">Receives every finished step.</param>
    /// <param name="cancellationToken">Checked between training steps; finished steps stay recorded.</param>
    /// <returns>The trajectory: step 0 and one step per path value (fewer when stopped on failure).</returns>
    /// <exception cref="ArgumentException">A bad path, start, target or dataset; the message names the value.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    /// <exception cref="TrainingDivergedException">A relaxation diverged; the model is put back as it was when the process was called (finished steps stay recorded).</exception>
    public ProcessTrajectory Run(
        HeldQuantity held,
        RateDistortionModel model,
        Multipliers start,
        IReadOnlyList<double> path,
        LabeledTensorDataset training,
        LabeledTensorDataset evaluation,
        DrivenMultiplier driven = DrivenMultiplier.Lambda,
        double? target = null,
        IProgress<ProcessStep>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return DivergenceRollback.Run(model, () => RunCore(held, model, start, path, training, evaluation, driven, target, progress, cancellationToken));
    }

    private ProcessTrajectory RunCore(
        HeldQuantity held,
        RateDistortionModel model,
        Multipliers start,
        IReadOnlyList<double> path,
        LabeledTensorDataset training,
        LabeledTensorDataset evaluation,
        DrivenMultiplier driven,
        double? target,
        IProgress<ProcessStep>? progress,
        CancellationToken cancellationToken)
    {
        CheckRun(held, driven, model, start, path, training, evaluation, target);
        var run = new StepRecorder(this, KindOf(held), held, driven, progress);
        var measured = new ProcessMeasurement(Evaluate(model, evaluation), null, null);
        double goal = target ?? HeldValue(held, measured.Mixture);
        CheckMeasuredTarget(goal, held);
        if (Method == ProcessMethod.Controlled)
        {
            var points = path.Select(v => driven == DrivenMultiplier.Lambda ? new ControlledProtocol.Point(v, start.Gamma, 0) : new ControlledProtocol.Point(start.Lambda, v, 0)).ToArray();
            using var engine = new ConstrainedTraining(model, trainer, training, null, evaluation, null, held, driven == DrivenMultiplier.Lambda, start, goal, Protocol.Controller, cancellationToken);
            return new ControlledProtocol(this, Protocol, (m, _) => estimator.Estimate(model, m, evaluation, cancellationToken)).Run(run, engine, points, goal, measured, false);
        }

        run.AddStart(start, null, measured, goal, path.Count);
        Func<Multipliers, (ProcessMeasurement Measured, TrainingResult Result)> relax = m => Relax(model, m, training, evaluation, cancellationToken);
        return PredictAndCorrect(run, model, start, measured, goal, path.Count, (k, current, now) =>
        {
            var (predicted, freeSlope) = PredictOnOneTask(run, model, current, path[k - 1], now, goal, evaluation, cancellationToken);
            return new Prediction(predicted, freeSlope, null, relax);
        }, cancellationToken);
    }

    private static void CheckRun(HeldQuantity held, DrivenMultiplier driven, RateDistortionModel model, Multipliers start, IReadOnlyList<double> path, LabeledTensorDataset training, LabeledTensorDataset evaluation, double? target)
    {
        if (held == HeldQuantity.None || !Enum.IsDefined(held))
        {
            throw new ArgumentOutOfRangeException(nameof(held), held, "A constrained process must hold Rate, Distortion or Classification; use FollowSchedule for a schedule.");
        }

        if (!Enum.IsDefined(driven))
        {
            throw new ArgumentOutOfRangeException(nameof(driven), driven, "Unknown driven multiplier.");
        }

        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(evaluation);
        CheckStart(start);
        CheckPath(path, driven == DrivenMultiplier.Lambda, nameof(path));
        CheckTarget(target);
    }

    private static ProcessKind KindOf(HeldQuantity held) => held switch
    {
        HeldQuantity.Classification => ProcessKind.IsoClassification,
        HeldQuantity.Rate => ProcessKind.IsoRate,
        _ => ProcessKind.IsoDistortion,
    };

    /// <summary>
    /// The predictor of a step on one task: the driven multiplier goes to <paramref name="drivenNext"/>, the free one
    /// moves so that Q returns to <paramref name="goal"/> to first order, Δfree = (Q* − Q − ∂Q/∂driven·Δdriven)/(∂Q/∂free).
    /// </summary>
    private (Multipliers Predicted, double FreeSlope) PredictOnOneTask(StepRecorder run, RateDistortionModel model, Multipliers current, double drivenNext, ProcessMeasurement measured, double goal, LabeledTensorDataset evaluation, CancellationToken cancellationToken)
    {
        var driven = run.Driven;
        var derivatives = estimator.Estimate(model, current, evaluation, cancellationToken);
        var (drivenSlope, freeSlope) = Slopes(run.Held, driven, derivatives, current);
        double drivenChange = drivenNext - DrivenOf(current, driven);
        double q = HeldValue(run.Held, measured.Mixture);
        double freeNext = PredictFree(FreeOf(current, driven), freeSlope, goal - q - (drivenSlope * drivenChange), driven);
        return (Compose(drivenNext, freeNext, driven), freeSlope);
    }

    /// <summary>The free multiplier after a predictor step: <c>free + gap/slope</c> (unchanged without a usable slope), bounded.</summary>
    private double PredictFree(double free, double slope, double gap, DrivenMultiplier driven) =>
        Bound(free, IsUsable(slope) ? free + (gap / slope) : free, driven);

    /// <summary>
    /// The predictor–corrector loop shared by the one-task runs and the transfer: step k = 1 … <paramref name="total"/>
    /// takes <paramref name="predict"/>'s multipliers, holds the constraint there (<see cref="Hold"/>) and records the step.
    /// </summary>
    private ProcessTrajectory PredictAndCorrect(StepRecorder run, RateDistortionModel model, Multipliers start, ProcessMeasurement measured, double goal, int total, Func<int, Multipliers, ProcessMeasurement, Prediction> predict, CancellationToken cancellationToken)
    {
        var current = start;
        for (int k = 1; k <= total; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            run.BeginStep();
            var prediction = predict(k, current, measured);
            var outcome = Hold(run, k, model, prediction.Multipliers, prediction.FreeSlope, goal, prediction.Relax, cancellationToken);
            current = outcome.Multipliers;
            measured = outcome.Measurement;
            if (!run.Add(run.Record(k, current, prediction.Ratio, measured, goal, outcome.Corrections, outcome.Epochs, outcome.Converged, run.Seconds), total))
            {
                break;
            }
        }

        return run.Finish();
    }

    /// <summary>
    /// Runs a finished constrained process backwards: from its last step, through its driven values in reverse
    /// order back to the start, holding the same quantity at the same target. Compare the two with
    /// <see cref="ProcessTrajectory.Hysteresis"/> (gaps at matching driven values, loop work W_forward + W_reverse).
    /// </summary>
    /// <param name="forward">A trajectory of <c>IsoClassification</c>, <c>IsoRate</c>, <c>IsoDistortion</c> or <see cref="Run"/> with at least two steps.</param>
    /// <param name="model">The model as the forward run left it (at equilibrium at the forward's last step); trained in place.</param>
    /// <param name="training">The training data.</param>
    /// <param name="evaluation">The data the held quantity is measured on.</param>
    /// <param name="progress">Receives every finished step.</param>
    /// <param name="cancellationToken">Checked between training steps.</param>
    /// <exception cref="ArgumentException"><paramref name="forward"/> is not a constrained process on one task, or has no step after the start.</exception>
    public ProcessTrajectory Reverse(
        ProcessTrajectory forward,
        RateDistortionModel model,
        LabeledTensorDataset training,
        LabeledTensorDataset evaluation,
        IProgress<ProcessStep>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(forward);
        if (forward.Kind is not (ProcessKind.IsoClassification or ProcessKind.IsoRate or ProcessKind.IsoDistortion) || forward.Target is null)
        {
            throw new ArgumentException($"Only iso-classification, iso-rate and iso-distortion runs can be reversed; this one is {forward.Kind}.", nameof(forward));
        }

        if (forward.Steps.Count < 2)
        {
            throw new ArgumentException("The forward run has no step after its start.", nameof(forward));
        }

        var path = forward.Steps.Reverse().Skip(1).Select(s => s.DrivenValue).ToArray();
        return Run(forward.Held, model, forward.Final.Multipliers, path, training, evaluation, forward.Driven, forward.Target, progress, cancellationToken);
    }

    /// <summary>
    /// Follows a user schedule of (λ, γ): relaxes the model at every entry and records it; nothing is held and
    /// nothing corrected (every step's drift is 0).
    /// </summary>
    /// <param name="model">The model, at equilibrium at <paramref name="start"/>; trained in place.</param>
    /// <param name="start">The multipliers the model is at equilibrium at.</param>
    /// <param name="schedule">The multipliers after the start, in order; at least one.</param>
    /// <param name="training">The training data.</param>
    /// <param name="evaluation">The data the functionals are measured on.</param>
    /// <param name="progress">Receives every finished step.</param>
    /// <param name="cancellationToken">Checked between training steps.</param>
    public ProcessTrajectory FollowSchedule(
        RateDistortionModel model,
        Multipliers start,
        IReadOnlyList<Multipliers> schedule,
        LabeledTensorDataset training,
        LabeledTensorDataset evaluation,
        IProgress<ProcessStep>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return DivergenceRollback.Run(model, () => FollowScheduleCore(model, start, schedule, training, evaluation, progress, cancellationToken));
    }

    private ProcessTrajectory FollowScheduleCore(
        RateDistortionModel model,
        Multipliers start,
        IReadOnlyList<Multipliers> schedule,
        LabeledTensorDataset training,
        LabeledTensorDataset evaluation,
        IProgress<ProcessStep>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(evaluation);
        CheckStart(start);
        CheckSchedule(schedule);
        var run = new StepRecorder(this, ProcessKind.Schedule, HeldQuantity.None, DrivenMultiplier.Lambda, progress);
        run.AddStart(start, null, new ProcessMeasurement(Evaluate(model, evaluation), null, null), null, schedule.Count);
        for (int k = 0; k < schedule.Count; k++)
        {
            run.BeginStep();
            var (measured, result) = Relax(model, schedule[k], training, evaluation, cancellationToken);
            run.Add(run.Record(k + 1, schedule[k], null, measured, null, 0, result.Epochs, result.Converged, run.Seconds), schedule.Count);
        }

        return run.Finish();
    }

    private static void CheckSchedule(IReadOnlyList<Multipliers> schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (schedule.Count == 0)
        {
            throw new ArgumentException("The schedule must have at least one entry.", nameof(schedule));
        }

        for (int i = 0; i < schedule.Count; i++)
        {
            if (!(schedule[i].Lambda > 0))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Schedule entry {i} has λ = {schedule[i].Lambda}; λ must be > 0 (use new Multipliers(λ, γ))."), nameof(schedule));
            }
        }
    }

    /// <summary>
    /// Transfer at constant classification loss (theory.md §4): from the source task (r = 0) to the target task
    /// (r = 1) through the mixture p_r in <paramref name="steps"/> equal steps of r, holding the mixture's C at the
    /// source value C₀ from both sides (|C − C₀|/C₀ ≤ <see cref="Tolerance"/>) by predicting and correcting γ
    /// (Δγ = (C₀ − C − C_r·Δr − C_λ·Δλ)/C_γ with C_r = C_target − C_source at the current weights, and C_λ, C_γ
    /// from the estimator on the source and target evaluation data weighted by the mixture).
    /// </summary>
    /// <param name="model">
    /// The model, at equilibrium on the source task at <paramref name="start"/> (trained to convergence there, not
    /// a fixed short pretraining: otherwise C keeps falling by itself and holding it means nothing); trained in place.
    /// </param>
    /// <param name="start">The multipliers the model is at equilibrium at on the source.</param>
    /// <param name="training">The training tasks (its ratio is ignored).</param>
    /// <param name="evaluation">The evaluation tasks (its ratio is ignored); C₀ is C on its source data at the start.</param>
    /// <param name="steps">The number of steps of r, ≥ 1.</param>
    /// <param name="lambdaPath">λ at each step (length <paramref name="steps"/>, values &gt; 0), or null to keep λ fixed.</param>
    /// <param name="progress">Receives every finished step.</param>
    /// <param name="cancellationToken">Checked between training steps; finished steps stay recorded.</param>
    /// <returns>The trajectory, with r, source and target accuracy and C per step.</returns>
    public ProcessTrajectory Transfer(
        RateDistortionModel model,
        Multipliers start,
        TaskMixture training,
        TaskMixture evaluation,
        int steps,
        IReadOnlyList<double>? lambdaPath = null,
        IProgress<ProcessStep>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return DivergenceRollback.Run(model, () => TransferCore(model, start, training, evaluation, steps, lambdaPath, progress, cancellationToken));
    }

    private ProcessTrajectory TransferCore(
        RateDistortionModel model,
        Multipliers start,
        TaskMixture training,
        TaskMixture evaluation,
        int steps,
        IReadOnlyList<double>? lambdaPath,
        IProgress<ProcessStep>? progress,
        CancellationToken cancellationToken)
    {
        CheckTransfer(model, start, training, evaluation, steps);
        CheckLambdaPath(lambdaPath, steps);
        var run = new StepRecorder(this, ProcessKind.Transfer, HeldQuantity.Classification, DrivenMultiplier.Lambda, progress);
        var (measured, c0) = MeasureSource(model, evaluation);
        if (Method == ProcessMethod.Controlled)
        {
            var points = Enumerable.Range(1, steps).Select(k => new ControlledProtocol.Point(lambdaPath?[k - 1] ?? start.Lambda, start.Gamma, (double)k / steps)).ToArray();
            using var engine = new ConstrainedTraining(model, trainer, training.Source, training.Target, evaluation.Source, evaluation.Target, HeldQuantity.Classification, true, start, c0, Protocol.Controller, cancellationToken);
            return new ControlledProtocol(this, Protocol, (m, r) => MixtureDerivatives(model, m, evaluation, r, cancellationToken)).Run(run, engine, points, c0, measured, true);
        }

        run.AddStart(start, 0, measured, c0, steps);
        return PredictAndCorrect(run, model, start, measured, c0, steps, (k, current, now) =>
        {
            double next = (double)k / steps;
            double lambda = lambdaPath?[k - 1] ?? current.Lambda;
            var (predicted, freeSlope) = PredictTransfer(model, current, lambda, (double)(k - 1) / steps, next, now, c0, evaluation, cancellationToken);
            var mixtureTraining = training.WithRatio(next);
            var mixtureEvaluation = evaluation.WithRatio(next);
            return new Prediction(predicted, freeSlope, next, m => RelaxMixture(model, m, mixtureTraining, mixtureEvaluation, cancellationToken));
        }, cancellationToken);
    }

    private static void CheckLambdaPath(IReadOnlyList<double>? lambdaPath, int steps)
    {
        if (lambdaPath is not null)
        {
            CheckPath(lambdaPath, true, nameof(lambdaPath));
            if (lambdaPath.Count != steps)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The λ path must have one value per step: {steps} expected, {lambdaPath.Count} given."), nameof(lambdaPath));
            }
        }
    }

    /// <summary>
    /// The predictor of a transfer step from ratio <paramref name="r"/> to <paramref name="next"/>: λ to
    /// <paramref name="lambda"/>, γ by Δγ = (C₀ − C − C_r·Δr − C_λ·Δλ)/C_γ with C_r = C_target − C_source at the
    /// current weights and the estimator's slopes of the mixture at <paramref name="next"/>.
    /// </summary>
    private (Multipliers Predicted, double FreeSlope) PredictTransfer(RateDistortionModel model, Multipliers current, double lambda, double r, double next, ProcessMeasurement measured, double c0, TaskMixture evaluation, CancellationToken cancellationToken)
    {
        var derivatives = MixtureDerivatives(model, current, evaluation, next, cancellationToken);
        double cR = measured.Target!.Classification - measured.Source!.Classification;
        double gap = c0 - measured.Mixture.Classification - (cR * (next - r)) - (derivatives.CLambda * (lambda - current.Lambda));
        return (new Multipliers(lambda, PredictFree(current.Gamma, derivatives.CGamma, gap, DrivenMultiplier.Lambda)), derivatives.CGamma);
    }

    /// <summary>C₀, the classification loss on the source at the start of a transfer (r = 0), and that measurement.</summary>
    private (ProcessMeasurement Measured, double C0) MeasureSource(RateDistortionModel model, TaskMixture evaluation)
    {
        var measured = EvaluateMixture(model, evaluation, 0);
        double c0 = measured.Mixture.Classification;
        CheckMeasuredTarget(c0, HeldQuantity.Classification);
        return (measured, c0);
    }

    /// <summary>
    /// The authors' transfer controller (theory.md §4, reproduced from their final code) with a cap on its loop:
    /// for step k = 0 … N − 1, r = (k + 1)/N; measure the mixture's C; while C ≥ C₀ and fewer than
    /// <see cref="AuthorsControllerOptions.MaxPassesPerStep"/> passes were made: from the second pass on move λ
    /// toward λ_min by (λ − λ_min)/(N − k) and raise γ by the increment; train
    /// <see cref="AuthorsControllerOptions.EpochsPerPass"/> epochs (each with a fresh Adam, as theirs); measure C
    /// again. A step that stops at the cap is recorded with <see cref="ProcessStep.WithinTolerance"/> false. It
    /// holds C only from above (C &lt; C₀), not from both sides. The process's trainer is not used (only its
    /// evaluation batch size); the tolerance is only recorded.
    /// </summary>
    /// <param name="model">The model, at equilibrium on the source task at <paramref name="start"/>; trained in place.</param>
    /// <param name="start">The starting multipliers (authors: λ = 2, γ = 2).</param>
    /// <param name="training">The training tasks (its ratio is ignored).</param>
    /// <param name="evaluation">The evaluation tasks (its ratio is ignored); C₀ is C on its source data at the start.</param>
    /// <param name="steps">N, the number of steps of r, ≥ 1 (authors: 25).</param>
    /// <param name="options">The controller's constants (default: the authors' values and a cap of 20 passes).</param>
    /// <param name="progress">Receives every finished step.</param>
    /// <param name="cancellationToken">Checked between training steps.</param>
    public ProcessTrajectory TransferWithAuthorsController(
        RateDistortionModel model,
        Multipliers start,
        TaskMixture training,
        TaskMixture evaluation,
        int steps,
        AuthorsControllerOptions? options = null,
        IProgress<ProcessStep>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return DivergenceRollback.Run(model, () => TransferWithAuthorsControllerCore(model, start, training, evaluation, steps, options, progress, cancellationToken));
    }

    private ProcessTrajectory TransferWithAuthorsControllerCore(
        RateDistortionModel model,
        Multipliers start,
        TaskMixture training,
        TaskMixture evaluation,
        int steps,
        AuthorsControllerOptions? options,
        IProgress<ProcessStep>? progress,
        CancellationToken cancellationToken)
    {
        CheckTransfer(model, start, training, evaluation, steps);
        options = (options ?? new AuthorsControllerOptions()).Validate();
        var pass = new EquilibriumTrainer()
            .WithAdam(options.LearningRate)
            .WithBatchSize(options.BatchSize)
            .WithEvaluationBatchSize(trainer.EvaluationBatchSize)
            .WithFixedEpochs(1)
            .WithTrainingDataEvaluation(false);
        var run = new StepRecorder(this, ProcessKind.AuthorsController, HeldQuantity.Classification, DrivenMultiplier.Lambda, progress);
        var (measured, c0) = MeasureSource(model, evaluation);
        run.AddStart(start, 0, measured, c0, steps);
        var authors = new AuthorsRun(model, pass, options, training, evaluation, steps, c0, cancellationToken);
        var m = start;
        for (int k = 0; k < steps; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            run.BeginStep();
            double r = (double)(k + 1) / steps;
            var outcome = AuthorsStep(authors, k, r, m);
            m = outcome.Multipliers;
            var step = run.Record(k + 1, m, r, outcome.Measured, c0, Math.Max(0, outcome.Passes - 1), outcome.Epochs, false, run.Seconds) with { WithinTolerance = !outcome.CapHit };
            if (!run.Add(step, steps))
            {
                break;
            }
        }

        return run.Finish();
    }

    /// <summary>
    /// Step k (from 0) of the authors' controller at ratio <paramref name="r"/>: while C ≥ C₀ and under the cap, a pass
    /// (from the second on, λ toward λ_min by (λ − λ_min)/(N − k) and γ up by the increment) of a few fresh-Adam epochs.
    /// </summary>
    private AuthorsStepOutcome AuthorsStep(AuthorsRun a, int k, double r, Multipliers m)
    {
        var mixtureTraining = a.Training.WithRatio(r);
        var mixtureEvaluation = a.Evaluation.WithRatio(r);
        var measured = EvaluateMixture(a.Model, a.Evaluation, r);
        int passes = 0, epochs = 0;
        while (measured.Mixture.Classification >= a.C0)
        {
            if (passes >= a.Options.MaxPassesPerStep)
            {
                ProcessLog.ControllerCapHit(logger, k + 1, passes, measured.Mixture.Classification, a.C0);
                return new AuthorsStepOutcome(m, measured, passes, epochs, CapHit: true);
            }

            if (passes > 0)
            {
                m = new Multipliers(m.Lambda - ((m.Lambda - a.Options.LambdaMin) / (a.Steps - k)), m.Gamma + a.Options.GammaIncrement);
            }

            for (int e = 0; e < a.Options.EpochsPerPass; e++)
            {
                epochs += a.Pass.Train(a.Model, m, mixtureTraining, mixtureEvaluation, null, a.CancellationToken).Epochs;
            }

            measured = EvaluateMixture(a.Model, a.Evaluation, r);
            passes++;
        }

        return new AuthorsStepOutcome(m, measured, passes, epochs, CapHit: false);
    }

    /// <summary>
    /// The baseline: fine-tunes the model directly on the target task (r = 1) at fixed multipliers for exactly
    /// <paramref name="epochs"/> epochs (one Adam run with the trainer's learning rate, betas and batch size), so
    /// that it can be compared with <see cref="Transfer"/> and <see cref="TransferWithAuthorsController"/> at the
    /// same number of training epochs (<see cref="ProcessTrajectory.TotalEpochs"/>). Step 0 is the start (r = 0,
    /// C₀ measured on the source); step 1 the end (r = 1), with its drift relative to C₀.
    /// </summary>
    /// <param name="model">The model, at equilibrium on the source task at <paramref name="multipliers"/>; trained in place.</param>
    /// <param name="multipliers">The fixed multipliers.</param>
    /// <param name="training">The training tasks (only the target data is trained on).</param>
    /// <param name="evaluation">The evaluation tasks (source and target accuracy are both reported).</param>
    /// <param name="epochs">The number of epochs, ≥ 1.</param>
    /// <param name="progress">Receives both steps.</param>
    /// <param name="cancellationToken">Checked between training steps.</param>
    public ProcessTrajectory FineTune(
        RateDistortionModel model,
        Multipliers multipliers,
        TaskMixture training,
        TaskMixture evaluation,
        int epochs,
        IProgress<ProcessStep>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return DivergenceRollback.Run(model, () => FineTuneCore(model, multipliers, training, evaluation, epochs, progress, cancellationToken));
    }

    private ProcessTrajectory FineTuneCore(
        RateDistortionModel model,
        Multipliers multipliers,
        TaskMixture training,
        TaskMixture evaluation,
        int epochs,
        IProgress<ProcessStep>? progress,
        CancellationToken cancellationToken)
    {
        CheckTransfer(model, multipliers, training, evaluation, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        var fixedEpochs = FixedEpochs(epochs);
        var run = new StepRecorder(this, ProcessKind.FineTuning, HeldQuantity.Classification, DrivenMultiplier.Lambda, progress);
        var (measured, c0) = MeasureSource(model, evaluation);
        run.AddStart(multipliers, 0, measured, c0, 1);
        run.BeginStep();
        var result = fixedEpochs.Train(model, multipliers, training.Target, evaluation.Target, null, cancellationToken);
        measured = EvaluateMixture(model, evaluation, 1);
        run.Add(run.Record(1, multipliers, 1, measured, c0, 0, result.Epochs, result.Converged, run.Seconds), 1);
        return run.Finish();
    }

    /// <summary>
    /// Tests whether a process ended at an equilibrium: trains <paramref name="model"/> (the model the process left)
    /// on for <paramref name="epochs"/> epochs at the final step's fixed multipliers, with this process's trainer
    /// settings (learning rate, betas, batch size) and one fresh Adam run, and measures the held quantity again. At
    /// an equilibrium it stays where the process left it; see <see cref="EndpointRelaxation"/>. The model is trained
    /// in place: save it first to keep the process's end state.
    /// </summary>
    /// <param name="model">The model at the end of <paramref name="trajectory"/>.</param>
    /// <param name="trajectory">A process on one task (iso-classification, iso-rate, iso-distortion or a schedule with a held quantity).</param>
    /// <param name="training">The training data the process used.</param>
    /// <param name="evaluation">The evaluation data the process used.</param>
    /// <param name="epochs">Epochs to train on, ≥ 1.</param>
    /// <param name="cancellationToken">Checked between training steps.</param>
    public EndpointRelaxation RelaxEndpoint(RateDistortionModel model, ProcessTrajectory trajectory, LabeledTensorDataset training, LabeledTensorDataset evaluation, int epochs, CancellationToken cancellationToken = default)
    {
        var last = CheckEndpoint(model, trajectory, epochs, mixture: false);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(evaluation);
        var before = model.Evaluate(evaluation, trainer.EvaluationBatchSize);
        var after = FixedEpochs(epochs).Train(model, last, training, evaluation, null, cancellationToken).Evaluation;
        return new EndpointRelaxation(trajectory.Held, trajectory.Target!.Value, trajectory.Tolerance, last, null, epochs, before, after);
    }

    /// <summary>
    /// Tests whether a transfer ended at an equilibrium: as
    /// <see cref="RelaxEndpoint(RateDistortionModel, ProcessTrajectory, LabeledTensorDataset, LabeledTensorDataset, int, CancellationToken)"/>,
    /// training on the mixture at the final step's task ratio r (at r = 0 or 1 on that task alone: the same objective)
    /// and measuring the mixture at r.
    /// </summary>
    /// <param name="model">The model at the end of <paramref name="trajectory"/>.</param>
    /// <param name="trajectory">A transfer at constant C (<see cref="ProcessKind.Transfer"/>).</param>
    /// <param name="training">The training tasks the transfer used (their ratio is ignored).</param>
    /// <param name="evaluation">The evaluation tasks the transfer used (their ratio is ignored).</param>
    /// <param name="epochs">Epochs to train on, ≥ 1.</param>
    /// <param name="cancellationToken">Checked between training steps.</param>
    public EndpointRelaxation RelaxEndpoint(RateDistortionModel model, ProcessTrajectory trajectory, TaskMixture training, TaskMixture evaluation, int epochs, CancellationToken cancellationToken = default)
    {
        var last = CheckEndpoint(model, trajectory, epochs, mixture: true);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(evaluation);
        double r = trajectory.Final.Ratio!.Value;
        var before = EvaluateMixture(model, evaluation, r).Mixture;
        var settle = FixedEpochs(epochs);
        _ = r switch
        {
            // At the ends the mixture is one task: train on it alone (the same objective, half the batches).
            1 => settle.Train(model, last, training.Target, evaluation.Target, null, cancellationToken),
            0 => settle.Train(model, last, training.Source, evaluation.Source, null, cancellationToken),
            _ => settle.Train(model, last, training.WithRatio(r), evaluation.WithRatio(r), null, cancellationToken),
        };
        var after = EvaluateMixture(model, evaluation, r).Mixture;
        return new EndpointRelaxation(trajectory.Held, trajectory.Target!.Value, trajectory.Tolerance, last, r, epochs, before, after);
    }

    private static Multipliers CheckEndpoint(RateDistortionModel model, ProcessTrajectory trajectory, int epochs, bool mixture)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(trajectory);
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        if (trajectory.Held == HeldQuantity.None || trajectory.Target is not { } goal || !(goal > 0))
        {
            throw new ArgumentException($"A {trajectory.Kind} trajectory holds no quantity at a positive value: there is nothing to test.", nameof(trajectory));
        }

        bool isMixture = trajectory.Final.Ratio is not null;
        if (isMixture != mixture)
        {
            throw new ArgumentException(
                isMixture
                    ? $"The {trajectory.Kind} trajectory ends at a task ratio r = {trajectory.Final.Ratio}: pass the TaskMixture pair it used."
                    : $"The {trajectory.Kind} trajectory is on one task: pass the training and evaluation data it used, not a TaskMixture pair.",
                nameof(trajectory));
        }

        return new Multipliers(trajectory.Final.Lambda, trajectory.Final.Gamma);
    }

    /// <summary>A trainer for exactly <paramref name="epochs"/> epochs with this process's optimiser settings.</summary>
    private EquilibriumTrainer FixedEpochs(int epochs) => new EquilibriumTrainer()
        .WithAdam(trainer.LearningRate, trainer.Beta1, trainer.Beta2)
        .WithBatchSize(trainer.BatchSize)
        .WithEvaluationBatchSize(trainer.EvaluationBatchSize)
        .WithFixedEpochs(epochs)
        .WithTrainingDataEvaluation(false);

    private (ProcessMeasurement Measured, TrainingResult Result) Relax(RateDistortionModel model, Multipliers m, LabeledTensorDataset training, LabeledTensorDataset evaluation, CancellationToken cancellationToken)
    {
        var result = trainer.Train(model, m, training, evaluation, null, cancellationToken);
        return (new ProcessMeasurement(result.Evaluation, null, null), result);
    }

    private (ProcessMeasurement Measured, TrainingResult Result) RelaxMixture(RateDistortionModel model, Multipliers m, TaskMixture training, TaskMixture evaluation, CancellationToken cancellationToken)
    {
        var result = trainer.Train(model, m, training, evaluation, null, cancellationToken);
        return (EvaluateMixture(model, evaluation, evaluation.Ratio), result);
    }

    /// <summary>The predictor's relaxation, then bounded Newton/secant corrections of the free multiplier.</summary>
    private HoldOutcome Hold(
        StepRecorder run,
        int index,
        RateDistortionModel model,
        Multipliers predicted,
        double estimatedSlope,
        double goal,
        Func<Multipliers, (ProcessMeasurement Measured, TrainingResult Result)> relax,
        CancellationToken cancellationToken)
    {
        var driven = run.Driven;
        var m = predicted;
        var (measured, result) = relax(m);
        int epochs = result.Epochs;
        var tried = new List<(double Free, double Value)> { (FreeOf(m, driven), HeldValue(run.Held, measured.Mixture)) };
        int corrections = 0;
        using var best = new BestTried(model); // the weights of the smallest drift so far, kept while corrections go on
        while (corrections < MaxCorrections)
        {
            var (free, value) = tried[^1];
            double drift = Math.Abs(Drift(value, goal));
            if (drift <= Tolerance)
            {
                break;
            }

            cancellationToken.ThrowIfCancellationRequested();
            best.Offer(drift, new HoldOutcome(m, measured, 0, 0, result.Converged));
            var (proposed, method) = Propose(run.Held, driven, tried, estimatedSlope, goal);
            double bounded = Bound(free, proposed, driven);
            if (bounded == free || !double.IsFinite(bounded))
            {
                break; // pinned at a bound: no further correction can move the held quantity this way
            }

            ProcessLog.Correction(logger, run.Kind, index, corrections + 1, run.Held, value, goal, free, bounded, method);
            m = Compose(DrivenOf(m, driven), bounded, driven);
            (measured, result) = relax(m);
            epochs += result.Epochs;
            corrections++;
            tried.Add((bounded, HeldValue(run.Held, measured.Mixture)));
        }

        // Corrections spent without reaching the tolerance: keep the best point tried, not merely the last.
        double last = Math.Abs(Drift(tried[^1].Value, goal));
        return last > Tolerance && best.RestoreIfBetterThan(last) is { } kept
            ? kept with { Corrections = corrections, Epochs = epochs }
            : new HoldOutcome(m, measured, corrections, epochs, result.Converged);
    }

    /// <summary>
    /// The next value of the free multiplier to try: a Newton step with the estimator's slope, or a secant step
    /// through the last two points tried when it agrees in sign; without a usable slope a probe of 0.1·max(|x|, 1) in
    /// the direction theory expects (C falls with γ, D falls with λ).
    /// </summary>
    private static (double Proposed, string Method) Propose(HeldQuantity held, DrivenMultiplier driven, List<(double Free, double Value)> tried, double estimatedSlope, double goal)
    {
        var (free, value) = tried[^1];
        double slope = estimatedSlope;
        string method = "newton";
        if (tried.Count >= 2)
        {
            var (f1, v1) = tried[^2];
            double secant = (value - v1) / (free - f1);
            if (IsUsable(secant) && (!IsUsable(estimatedSlope) || Math.Sign(secant) == Math.Sign(estimatedSlope)))
            {
                (slope, method) = (secant, "secant");
            }
        }

        if (IsUsable(slope))
        {
            return (free + ((goal - value) / slope), method);
        }

        double expectedSign = (held, driven) is (HeldQuantity.Classification, DrivenMultiplier.Lambda) or (HeldQuantity.Distortion, DrivenMultiplier.Gamma) ? -1 : 1;
        return (free + (Math.Sign(goal - value) * expectedSign * 0.1 * Math.Max(Math.Abs(free), 1)), "probe");
    }

    /// <summary>The point of a step with the smallest drift so far, with its weights, while corrections go on.</summary>
    private sealed class BestTried(RateDistortionModel model) : IDisposable
    {
        private WeightSnapshot? weights;
        private HoldOutcome? outcome;
        private double drift;

        /// <summary>Keeps the model's weights and <paramref name="candidate"/> if <paramref name="candidateDrift"/> is the smallest so far.</summary>
        public void Offer(double candidateDrift, HoldOutcome candidate)
        {
            if (outcome is null || candidateDrift < drift)
            {
                weights?.Dispose();
                weights = null;
                weights = WeightSnapshot.Capture(model.Network);
                (outcome, drift) = (candidate, candidateDrift);
            }
        }

        /// <summary>Puts the best weights back and returns their outcome if their drift is below <paramref name="lastDrift"/>; otherwise null.</summary>
        public HoldOutcome? RestoreIfBetterThan(double lastDrift)
        {
            if (weights is null || outcome is null || !(drift < lastDrift))
            {
                return null;
            }

            weights.Restore();
            return outcome;
        }

        public void Dispose() => weights?.Dispose();
    }

    private Functionals Evaluate(RateDistortionModel model, LabeledTensorDataset data) => model.Evaluate(data, trainer.EvaluationBatchSize);

    /// <summary>Source and target functionals and their mixture at ratio <paramref name="r"/> (same noise seed as <see cref="RateDistortionModel.Evaluate(TaskMixture, int, long?)"/>).</summary>
    private ProcessMeasurement EvaluateMixture(RateDistortionModel model, TaskMixture evaluation, double r) =>
        ProcessMeasurement.Of(model, evaluation.Source, evaluation.Target, r, trainer.EvaluationBatchSize);

    /// <summary>The estimator's derivatives for the mixture at ratio <paramref name="r"/>: the weighted mean of the source's and target's.</summary>
    private SurfaceDerivatives MixtureDerivatives(RateDistortionModel model, Multipliers m, TaskMixture evaluation, double r, CancellationToken cancellationToken)
    {
        var s = r < 1 ? estimator.Estimate(model, m, evaluation.Source, cancellationToken) : null;
        var t = r > 0 ? estimator.Estimate(model, m, evaluation.Target, cancellationToken) : null;
        if (s is null || t is null)
        {
            return (s ?? t)!;
        }

        return new SurfaceDerivatives(
            ((1 - r) * s.DLambda) + (r * t.DLambda),
            ((1 - r) * s.DGamma) + (r * t.DGamma),
            ((1 - r) * s.CLambda) + (r * t.CLambda),
            ((1 - r) * s.CGamma) + (r * t.CGamma));
    }

    internal static double HeldValue(HeldQuantity held, Functionals f) => held switch
    {
        HeldQuantity.Rate => f.Rate,
        HeldQuantity.Distortion => f.Distortion,
        _ => f.Classification,
    };

    /// <summary>(∂Q/∂driven, ∂Q/∂free) from the estimator's derivatives at <paramref name="m"/>.</summary>
    private static (double Driven, double Free) Slopes(HeldQuantity held, DrivenMultiplier driven, SurfaceDerivatives d, Multipliers m)
    {
        var (byLambda, byGamma) = Partials(held, d, m);
        return driven == DrivenMultiplier.Lambda ? (byLambda, byGamma) : (byGamma, byLambda);
    }

    /// <summary>(∂Q/∂λ, ∂Q/∂γ) of the held quantity from the estimator's derivatives at <paramref name="m"/> (for R: R_λ = −λD_λ − γC_λ, R_γ = −λD_γ − γC_γ).</summary>
    internal static (double ByLambda, double ByGamma) Partials(HeldQuantity held, SurfaceDerivatives d, Multipliers m) => held switch
    {
        HeldQuantity.Classification => (d.CLambda, d.CGamma),
        HeldQuantity.Distortion => (d.DLambda, d.DGamma),
        _ => ((-m.Lambda * d.DLambda) - (m.Gamma * d.CLambda), (-m.Lambda * d.DGamma) - (m.Gamma * d.CGamma)),
    };

    internal static double Drift(double value, double goal) => (value - goal) / Math.Abs(goal);

    private static bool IsUsable(double slope) => double.IsFinite(slope) && Math.Abs(slope) > 1e-12;

    private static double DrivenOf(Multipliers m, DrivenMultiplier driven) => driven == DrivenMultiplier.Lambda ? m.Lambda : m.Gamma;

    private static double FreeOf(Multipliers m, DrivenMultiplier driven) => driven == DrivenMultiplier.Lambda ? m.Gamma : m.Lambda;

    private static Multipliers Compose(double drivenValue, double freeValue, DrivenMultiplier driven) =>
        driven == DrivenMultiplier.Lambda ? new Multipliers(drivenValue, freeValue) : new Multipliers(freeValue, drivenValue);

    /// <summary>Bounds one change of the free multiplier: |Δ| ≤ f·max(|x|, 1); γ ≥ 0; λ ≥ (1 − f)·λ.</summary>
    private double Bound(double free, double proposed, DrivenMultiplier driven)
    {
        if (!double.IsFinite(proposed))
        {
            return free;
        }

        double limit = MaxRelativeChange * Math.Max(Math.Abs(free), 1);
        double bounded = Math.Clamp(proposed, free - limit, free + limit);
        return driven == DrivenMultiplier.Lambda
            ? Math.Max(0, bounded) // free γ
            : Math.Max((1 - MaxRelativeChange) * free, bounded); // free λ stays > 0
    }

    private static void CheckStart(Multipliers start) => Guard.Valid(start);

    private static void CheckPath(IReadOnlyList<double> path, bool lambda, string name)
    {
        ArgumentNullException.ThrowIfNull(path, name);
        if (path.Count == 0)
        {
            throw new ArgumentException("The path must have at least one value.", name);
        }

        for (int i = 0; i < path.Count; i++)
        {
            double v = path[i];
            if (!double.IsFinite(v) || (lambda ? v <= 0 : v < 0))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Path value {i} is {v}; {(lambda ? "λ must be finite and > 0" : "γ must be finite and ≥ 0")}."), name);
            }
        }
    }

    private static void CheckTarget(double? target)
    {
        if (target is double t)
        {
            Guard.Positive(t, "The held value", "(the drift is relative to it)", nameof(target));
        }
    }

    private static void CheckMeasuredTarget(double goal, HeldQuantity held)
    {
        if (!(double.IsFinite(goal) && goal > 1e-12))
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The held quantity {held} measured at the start is {goal}; a relative drift needs a finite value > 0. Pass an explicit target."));
        }
    }

    private static void CheckTransfer(RateDistortionModel model, Multipliers start, TaskMixture training, TaskMixture evaluation, int steps)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(evaluation);
        CheckStart(start);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
    }

    private sealed record HoldOutcome(Multipliers Multipliers, ProcessMeasurement Measurement, int Corrections, int Epochs, bool Converged);

    /// <summary>A step's predicted multipliers, the free slope for its first correction, its task ratio (null on one task) and its relaxation.</summary>
    private sealed record Prediction(Multipliers Multipliers, double FreeSlope, double? Ratio, Func<Multipliers, (ProcessMeasurement Measured, TrainingResult Result)> Relax);

    /// <summary>What a run of the authors' controller keeps from step to step.</summary>
    private sealed record AuthorsRun(RateDistortionModel Model, EquilibriumTrainer Pass, AuthorsControllerOptions Options, TaskMixture Training, TaskMixture Evaluation, int Steps, double C0, CancellationToken CancellationToken);

    private sealed record AuthorsStepOutcome(Multipliers Multipliers, ProcessMeasurement Measured, int Passes, int Epochs, bool CapHit);
}
