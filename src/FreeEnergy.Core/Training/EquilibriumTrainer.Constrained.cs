using System.Diagnostics;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Processes;

namespace FreeEnergy.Core.Training;

/// <summary>Training at a fixed functional (the Legendre dual of training at fixed multipliers).</summary>
public sealed partial class EquilibriumTrainer
{
    /// <summary>
    /// Trains <paramref name="model"/> to equilibrium with one multiplier fixed and a functional held at
    /// <paramref name="target"/> instead of the other multiplier: a <see cref="ConstraintController"/> adapts the free
    /// multiplier after every optimisation step, and the held value is checked on <paramref name="evaluation"/>
    /// (fixed examples, fixed z-noise) <paramref name="checksPerEpoch"/> times per epoch, which is the value held.
    /// Training stops when the last <paramref name="consecutiveChecks"/> checks are within
    /// <paramref name="tolerance"/> and the rest of the objective (R + λD with γ free, R + γC with λ free) meets this
    /// trainer's <see cref="Convergence"/> rule, or at its maximum number of epochs (then
    /// <see cref="ConstrainedTrainingResult.Converged"/> is false). One Adam state serves the whole call; learning-rate
    /// decays are not applied.
    /// </summary>
    /// <param name="model">The model; trained in place from its current weights.</param>
    /// <param name="start">The fixed multiplier's value, and the free one's starting value.</param>
    /// <param name="held">The functional to hold: <see cref="HeldQuantity.Classification"/>, <see cref="HeldQuantity.Rate"/> or <see cref="HeldQuantity.Distortion"/>.</param>
    /// <param name="target">The value to hold it at (finite, &gt; 0), nats per example.</param>
    /// <param name="training">The training data.</param>
    /// <param name="evaluation">The held-out data the held value is checked on.</param>
    /// <param name="fixedMultiplier">The multiplier kept fixed (default λ: γ is found). Fixing γ and finding λ suits a held D.</param>
    /// <param name="tolerance">The largest accepted |drift| (default <see cref="QuasiStaticProcessOptions.Defaults.Tolerance"/>, as a process; in (0, 1)).</param>
    /// <param name="consecutiveChecks">In-tolerance checks in a row that count as reached (default <see cref="RampProtocol.Defaults.ConsecutiveChecks"/>, as a controlled process; ≥ 1).</param>
    /// <param name="checksPerEpoch">Held-out checks per epoch (default <see cref="RampProtocol.Defaults.ChecksPerEpoch"/>, as a controlled process; in [1, 1000]).</param>
    /// <param name="controller">The controller's gains and bounds (default <see cref="ConstraintControllerOptions.Default"/>).</param>
    /// <param name="progress">Receives a report after every epoch.</param>
    /// <param name="cancellationToken">Checked between steps; the model keeps the weights of the last finished step.</param>
    /// <exception cref="ArgumentException">A bad argument (the message names it), or data that do not fit the model.</exception>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite; the model is put back as it was before the call.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public ConstrainedTrainingResult TrainAtFixed(
        RateDistortionModel model,
        Multipliers start,
        HeldQuantity held,
        double target,
        LabeledTensorDataset training,
        LabeledTensorDataset evaluation,
        DrivenMultiplier fixedMultiplier = DrivenMultiplier.Lambda,
        double tolerance = QuasiStaticProcessOptions.Defaults.Tolerance,
        int consecutiveChecks = RampProtocol.Defaults.ConsecutiveChecks,
        int checksPerEpoch = RampProtocol.Defaults.ChecksPerEpoch,
        ConstraintControllerOptions? controller = null,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(evaluation);
        if (held is not (HeldQuantity.Classification or HeldQuantity.Rate or HeldQuantity.Distortion))
        {
            throw new ArgumentOutOfRangeException(nameof(held), held, "The held functional must be Classification, Rate or Distortion.");
        }

        if (!Enum.IsDefined(fixedMultiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(fixedMultiplier), fixedMultiplier, "Unknown multiplier.");
        }

        Guard.Valid(start);
        Guard.Positive(target, "The target");
        Guard.InRange(tolerance, 0, 1, false, false, "The tolerance");

        ArgumentOutOfRangeException.ThrowIfLessThan(consecutiveChecks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(checksPerEpoch, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(checksPerEpoch, 1000);
        model.ValidateData(training, nameof(training));
        model.ValidateData(evaluation, nameof(evaluation));
        cancellationToken.ThrowIfCancellationRequested();
        return DivergenceRollback.Run(model, () => TrainAtFixedCore(model, start, held, target, training, evaluation, fixedMultiplier, tolerance, consecutiveChecks, checksPerEpoch, controller, progress, cancellationToken));
    }

    private ConstrainedTrainingResult TrainAtFixedCore(
        RateDistortionModel model,
        Multipliers start,
        HeldQuantity held,
        double target,
        LabeledTensorDataset training,
        LabeledTensorDataset evaluation,
        DrivenMultiplier fixedMultiplier,
        double tolerance,
        int consecutiveChecks,
        int checksPerEpoch,
        ConstraintControllerOptions? controller,
        IProgress<TrainingProgress>? progress,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        bool freeIsGamma = fixedMultiplier == DrivenMultiplier.Lambda;
        using var engine = new ConstrainedTraining(model, this, training, null, evaluation, null, held, freeIsGamma, start, target, controller, cancellationToken);
        var first = engine.Measure().Mixture;
        engine.StartSetPoint(first);

        var checks = new HeldOutChecks(engine, target, tolerance, first, Math.Max(1, engine.StepsPerEpoch / checksPerEpoch));
        var rest = new ConvergenceTracker(Convergence);
        int epoch = 0;
        bool converged = false;
        while (epoch < Convergence.MaxEpochs && !converged)
        {
            epoch++;
            checks.TrainEpoch(epoch);
            var last = checks.Last;

            // What is minimised at a fixed functional: the objective without the free multiplier's term.
            rest.Add(freeIsGamma ? last.Rate + (engine.Lambda * last.Distortion) : last.Rate + (engine.Gamma * last.Classification), last);
            progress?.Report(new TrainingProgress(epoch, Convergence.MaxEpochs, engine.StepsPerEpoch, engine.StepsPerEpoch, engine.Lambda, engine.Gamma, double.NaN, last.Rate, last.Distortion, last.Classification, last.Objective(engine.Multipliers), clock.Elapsed));
            double heldValue = engine.HeldValue(last);
            Log.ConstrainedEpoch(logger, epoch, Convergence.MaxEpochs, held, heldValue, target, checks.Drift, engine.Lambda, engine.Gamma);
            converged = checks.InTolerance >= consecutiveChecks && epoch >= Convergence.MinEpochs && rest.IsMet(out _);
        }

        var trainingFunctionals = EvaluateTrainingData ? model.Evaluate(training, EvaluationBatchSize) : null;
        return new ConstrainedTrainingResult(engine.Multipliers, held, target, trainingFunctionals, checks.Last, checks.Drift, checks.InTolerance >= consecutiveChecks, converged, epoch, clock.Elapsed, checks.FreeHistory.AsReadOnly(), checks.DriftHistory.AsReadOnly());
    }

    /// <summary>
    /// The held-out checks of <see cref="TrainAtFixed"/>: trains an epoch with a check every <c>checkEvery</c> steps and
    /// at its end, and keeps the last measurement, the drift, the run of in-tolerance checks and the histories.
    /// </summary>
    private sealed class HeldOutChecks(ConstrainedTraining engine, double target, double tolerance, Functionals first, long checkEvery)
    {
        public List<double> FreeHistory { get; } = [];

        public List<double> DriftHistory { get; } = [];

        public Functionals Last { get; private set; } = first;

        public double Drift { get; private set; } = (engine.HeldValue(first) - target) / target;

        /// <summary>The number of consecutive checks, up to the last, within the tolerance.</summary>
        public int InTolerance { get; private set; }

        /// <summary>Trains up to the end of epoch <paramref name="epoch"/> (1-based), checking on the way.</summary>
        public void TrainEpoch(int epoch)
        {
            long end = (long)epoch * engine.StepsPerEpoch;
            while (engine.Steps < end)
            {
                engine.Step();
                if (engine.Steps % checkEvery == 0 || engine.Steps == end)
                {
                    Check();
                }
            }
        }

        private void Check()
        {
            var (measured, value) = engine.Check();
            Last = measured.Mixture;
            Drift = (value - target) / target;
            InTolerance = Math.Abs(Drift) <= tolerance ? InTolerance + 1 : 0;
            FreeHistory.Add(engine.FreeIsGamma ? engine.Gamma : engine.Lambda);
            DriftHistory.Add(Drift);
        }
    }
}
