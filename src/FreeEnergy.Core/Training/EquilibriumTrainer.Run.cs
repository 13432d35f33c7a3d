using System.Diagnostics;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Training;

/// <summary>The training loop at fixed multipliers, in named steps: plan an epoch, train its steps, measure, decide.</summary>
public sealed partial class EquilibriumTrainer
{
    /// <summary>Validates, then trains; a divergence puts the model back as it was before the call (<see cref="DivergenceRollback"/>).</summary>
    private TrainingResult Run(
        RateDistortionModel model,
        Multipliers multipliers,
        TrainingTask training,
        TrainingTask evaluation,
        bool evaluationIsTraining,
        IProgress<TrainingProgress>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        _ = model.Network; // throws when disposed
        Guard.Valid(multipliers);
        training.Validate(model, nameof(training));
        evaluation.Validate(model, nameof(evaluation));
        cancellationToken.ThrowIfCancellationRequested();
        return DivergenceRollback.Run(model, () =>
        {
            using var run = new TrainingRun(this, model, multipliers, training, evaluation, progress, cancellationToken);
            while (run.Epoch < Convergence.MaxEpochs && run.TrainEpoch())
            {
            }

            return run.Finish(evaluationIsTraining);
        });
    }

    /// <summary>
    /// One epoch's shape: where it is in the relaxation tail after the plateau (<see cref="CooldownEpochs"/> of cosine
    /// decay, then <see cref="PolishEpochs"/> with fixed batches and noise), its batch size and steps, and the decay
    /// of the weight average per step.
    /// </summary>
    private readonly record struct EpochPlan(int TailEpoch, bool Polishing, bool CoolingDown, int BatchSize, long Steps, double AverageDecay);

    /// <summary>The state of one <c>Train</c> call, from its first epoch to its result.</summary>
    private sealed class TrainingRun : IDisposable
    {
        private readonly EquilibriumTrainer trainer;
        private readonly RateDistortionModel model;
        private readonly RateDistortionNetwork network;
        private readonly Multipliers multipliers;
        private readonly TrainingTask training;
        private readonly TrainingTask evaluation;
        private readonly IProgress<TrainingProgress>? progress;
        private readonly CancellationToken cancellationToken;
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private readonly List<double> history = [];
        private readonly ConvergenceTracker window;
        private readonly long stepsPerEpoch;
        private readonly Generator shuffle;
        private readonly Generator? polishOrder;
        private readonly LeanAdam optimizer;
        private readonly double[] groupFactors;
        private readonly WeightAverage? average;
        private readonly int tail;
        private readonly double[] sums = new double[4];
        private double learningRate;
        private int decaysLeft;
        private int tailStart;
        private double tailRate;
        private long averageUpdates;
        private int pendingSteps;
        private long step;
        private long seen;
        private Functionals evaluated = null!;

        public TrainingRun(EquilibriumTrainer trainer, RateDistortionModel model, Multipliers multipliers, TrainingTask training, TrainingTask evaluation, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
        {
            (this.trainer, this.model, this.multipliers, this.training, this.evaluation, this.progress, this.cancellationToken) = (trainer, model, multipliers, training, evaluation, progress, cancellationToken);
            network = model.Network;
            window = new ConvergenceTracker(trainer.Convergence);
            stepsPerEpoch = training.StepsPerEpoch(trainer.BatchSize);
            learningRate = trainer.LearningRate;
            decaysLeft = trainer.Decays;
            shuffle = new Generator(model.Seeds.Shuffling(trainer.ShuffleSeed));
            optimizer = trainer.CreateOptimizer(network, learningRate, out groupFactors);
            tail = trainer.CooldownEpochs + trainer.PolishEpochs;
            tailRate = learningRate;
            average = trainer.AveragingEpochs > 0 ? WeightAverage.Start(network) : null;
            polishOrder = trainer.PolishEpochs > 0 ? new Generator(model.Seeds.PolishOrder(trainer.ShuffleSeed)) : null;
        }

        /// <summary>Epochs trained so far.</summary>
        public int Epoch { get; private set; }

        /// <summary>Whether the convergence rule was met.</summary>
        public bool Converged { get; private set; }

        private int MaxEpochs => trainer.Convergence.MaxEpochs;

        private Microsoft.Extensions.Logging.ILogger Logger => trainer.logger;

        /// <summary>Trains one epoch, measures J and applies the rule; false when training is over.</summary>
        public bool TrainEpoch()
        {
            Epoch++;
            var plan = PlanEpoch();
            var epochClock = Stopwatch.StartNew();
            TrainSteps(plan);
            double objective = Measure();
            history.Add(objective);
            window.Add(objective, evaluated);
            Log.EpochFinished(Logger, Epoch, MaxEpochs, multipliers.Lambda, multipliers.Gamma, objective, evaluated.Rate, evaluated.Distortion, evaluated.Classification, evaluated.Accuracy, epochClock.Elapsed.TotalSeconds);
            progress?.Report(Report(plan.Steps, plan.Steps));
            return tailStart != 0 ? plan.TailEpoch < tail : Decide(objective);
        }

        /// <summary>The model ends with the averaged weights (the ones every J was measured on); the result.</summary>
        public TrainingResult Finish(bool evaluationIsTraining)
        {
            average?.SwapIn();
            if (!Converged)
            {
                Log.NotConverged(Logger, Epoch, multipliers.Lambda, multipliers.Gamma);
            }

            var trainingFunctionals = trainer.EvaluateTrainingData
                ? (evaluationIsTraining ? evaluated : training.Evaluate(model, trainer.EvaluationBatchSize))
                : null;
            return new TrainingResult(multipliers, trainingFunctionals, evaluated, Epoch, Converged, clock.Elapsed, history.AsReadOnly());
        }

        public void Dispose()
        {
            polishOrder?.Dispose();
            average?.Dispose();
            optimizer.Dispose();
            shuffle.Dispose();
        }

        /// <summary>Starts the tail when the plateau was not reached in time, and shapes the epoch (reseeding a polish epoch).</summary>
        private EpochPlan PlanEpoch()
        {
            if (tail > 0 && tailStart == 0 && MaxEpochs - Epoch + 1 <= tail)
            {
                // The plateau was not reached in time: start the tail so that it ends at the cap.
                StartTail(Epoch, false);
            }

            int tailEpoch = tailStart == 0 ? 0 : Epoch - tailStart + 1;
            bool polishing = tailEpoch > trainer.CooldownEpochs;
            int batchSize = polishing ? trainer.PolishBatchSize ?? training.LargestBatch : trainer.BatchSize;
            long epochSteps = polishing ? training.StepsPerEpoch(batchSize) : stepsPerEpoch;
            double averageDecay = trainer.AveragingEpochs > 0 ? Math.Exp(-1 / (trainer.AveragingEpochs * epochSteps)) : 0;
            if (polishing)
            {
                // The same batches with the same z-noise every polish epoch: one fixed objective.
                polishOrder!.manual_seed(unchecked((long)model.Seeds.PolishOrder(trainer.ShuffleSeed)));
                model.ReseedTrainingNoise(model.Seeds.PolishNoise);
                double cooled = trainer.CooldownEpochs > 0 ? trainer.CooldownFinalFactor : 1;
                SetLearningRate(optimizer, groupFactors, tailRate * cooled * trainer.PolishLearningRateFactor);
            }

            return new EpochPlan(tailEpoch, polishing, tailEpoch >= 1 && !polishing, batchSize, epochSteps, averageDecay);
        }

        private void StartTail(int epoch, bool afterPlateau)
        {
            (tailStart, tailRate) = (epoch, learningRate);
            Log.RelaxationTail(Logger, epoch, multipliers.Lambda, multipliers.Gamma, trainer.CooldownEpochs, trainer.PolishEpochs, afterPlateau);
        }

        /// <summary>The epoch's optimisation steps; <see cref="sums"/>, <see cref="seen"/> and <see cref="step"/> add them up.</summary>
        private void TrainSteps(EpochPlan plan)
        {
            Array.Clear(sums);
            (step, seen) = (0, 0);
            network.train();
            foreach (var batches in training.Steps(plan.BatchSize, plan.Polishing ? polishOrder! : shuffle))
            {
                using var scope = NewDisposeScope();
                if (cancellationToken.IsCancellationRequested)
                {
                    Log.Cancelled(Logger, Epoch, step);
                    cancellationToken.ThrowIfCancellationRequested();
                }

                step++;
                if (plan.CoolingDown)
                {
                    double progressed = (((plan.TailEpoch - 1) * plan.Steps) + step) / (double)(trainer.CooldownEpochs * plan.Steps);
                    double final = tailRate * trainer.CooldownFinalFactor;
                    SetLearningRate(optimizer, groupFactors, final + ((tailRate - final) * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1, progressed)))));
                }

                optimizer.ZeroGrad();
                var (loss, readings, b) = Forward(model, batches, multipliers);
                trainer.ThrowIfDiverged(readings[0], Epoch, step, multipliers);

                loss.backward();
                optimizer.Step();
                UpdateAverage(plan);
                seen += b;
                for (int i = 0; i < 3; i++)
                {
                    sums[i] += readings[i + 1];
                }

                sums[3] += readings[0] * b;
                Log.StepFinished(Logger, Epoch, step, readings[0]);
                if (progress is not null && trainer.ProgressInterval > 0 && step % trainer.ProgressInterval == 0 && step != plan.Steps)
                {
                    progress.Report(Report(step, plan.Steps));
                }
            }
        }

        /// <summary>
        /// Every few steps (and at the end of the epoch) with the decay of those steps: the same average up to
        /// O(interval / time constant), at a fraction of the cost. Early on the average follows the weights closely
        /// ((1 + n) / (10 + n) per step), then it is the full EMA.
        /// </summary>
        private void UpdateAverage(EpochPlan plan)
        {
            if (average is not null && ++pendingSteps is var pending && (pending == AveragingInterval || step == plan.Steps))
            {
                averageUpdates += pending;
                average.Update(Math.Pow(Math.Min(plan.AverageDecay, (1.0 + averageUpdates) / (10.0 + averageUpdates)), pending));
                pendingSteps = 0;
            }
        }

        /// <summary>J on the evaluation data, with the averaged weights when averaging; throws on a non-finite J.</summary>
        private double Measure()
        {
            average?.SwapIn();
            try
            {
                evaluated = evaluation.Evaluate(model, trainer.EvaluationBatchSize);
            }
            finally
            {
                average?.SwapOut();
            }

            double objective = evaluated.Objective(multipliers);
            trainer.ThrowIfDiverged(objective, Epoch, step, multipliers);
            return objective;
        }

        /// <summary>Applies the rule after an epoch before the tail: converge (and start the tail), decay the learning rate, or go on.</summary>
        private bool Decide(double objective)
        {
            if (!window.IsMet(out double change))
            {
                return true;
            }

            if (decaysLeft == 0)
            {
                Log.Converged(Logger, Epoch, multipliers.Lambda, multipliers.Gamma, change, trainer.Convergence.Window);
                Converged = true;
                if (tail == 0)
                {
                    return false;
                }

                StartTail(Epoch + 1, true);
                return true;
            }

            decaysLeft--;
            learningRate *= trainer.DecayFactor;
            SetLearningRate(optimizer, groupFactors, learningRate);

            // Judge the new learning rate on its own epochs only.
            window.Restart(objective, evaluated);
            return true;
        }

        private TrainingProgress Report(long stepOfEpoch, long epochSteps)
        {
            double n = Math.Max(1, seen);
            return new TrainingProgress(
                Epoch,
                MaxEpochs,
                stepOfEpoch,
                epochSteps,
                multipliers.Lambda,
                multipliers.Gamma,
                sums[3] / n,
                sums[0] / n,
                sums[1] / n,
                sums[2] / n,
                history.Count > 0 ? history[^1] : double.NaN,
                clock.Elapsed);
        }
    }
}
