using System.Diagnostics;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Training;

/// <summary>
/// Trains a <see cref="RateDistortionModel"/> to equilibrium of J = R + λ·D + γ·C with Adam: minibatches
/// reshuffled every epoch from a seeded generator, J measured on evaluation data after every epoch, and a
/// <see cref="ConvergenceRule"/> that decides when to stop. Training starts from the model's current weights
/// (a warm start when the model was trained before) with a fresh optimizer state.
/// </summary>
/// <remarks>
/// Configure with the fluent <c>With…</c> methods (each validates its argument at once), then call
/// <c>Train</c>. Training is synchronous; use one trainer and model from one thread at a time.
/// <para>
/// The relaxation options of issue 13 are opt-in: weight averaging (<see cref="WithWeightAveraging"/>; the best
/// remedy measured, used by the surface stage of the Reproduce sample), a cooldown of the learning rate after
/// the plateau (<see cref="WithCooldown"/>), a fixed-noise polish (<see cref="WithPolish"/>) and a separate
/// variance-head learning rate (<see cref="WithVarianceHeadLearningRate"/>). The default is the plain
/// constant-rate Adam loop, which <see cref="WithClassicRelaxation"/> restores step for step
/// (docs/performance.md, "Relaxation", says why averaging is not the default yet).
/// </para>
/// </remarks>
public sealed partial class EquilibriumTrainer
{
    /// <summary>Steps between updates of the weight average.</summary>
    private const int AveragingInterval = 4;

    private ILogger logger = NullLogger.Instance;

    /// <summary>Adam's learning rate (default 1e-3).</summary>
    public double LearningRate { get; private set; } = 1e-3;

    /// <summary>Adam's β₁ (default 0.9).</summary>
    public double Beta1 { get; private set; } = 0.9;

    /// <summary>Adam's β₂ (default 0.999).</summary>
    public double Beta2 { get; private set; } = 0.999;

    /// <summary>Examples per training step (default 64, as the authors).</summary>
    public int BatchSize { get; private set; } = 64;

    /// <summary>Examples per forward pass when evaluating (default 1000).</summary>
    public int EvaluationBatchSize { get; private set; } = 1000;

    /// <summary>The stopping rule.</summary>
    public ConvergenceRule Convergence { get; private set; } = new();

    /// <summary>The factor the learning rate is multiplied by each time the rule is met while decays remain (default 1: none).</summary>
    public double DecayFactor { get; private set; } = 1.0;

    /// <summary>How many times the learning rate may be decayed before the rule ends training (default 0).</summary>
    public int Decays { get; private set; }

    /// <summary>The seed of the per-epoch shuffling, or null to use the model's seed.</summary>
    public long? ShuffleSeed { get; private set; }

    /// <summary>Report progress every this many steps as well as at the end of each epoch (0: only per epoch).</summary>
    public int ProgressInterval { get; private set; }

    /// <summary>Whether to evaluate the functionals on the training data at the end (default true).</summary>
    public bool EvaluateTrainingData { get; private set; } = true;

    /// <summary>
    /// The time constant, in epochs, of the exponential moving average of the weights (default 0: no
    /// averaging). When set, J is measured on the averaged weights and the model ends with them.
    /// </summary>
    public double AveragingEpochs { get; private set; }

    /// <summary>Epochs of cosine learning-rate decay after the plateau (0: none).</summary>
    public int CooldownEpochs { get; private set; }

    /// <summary>The learning rate at the end of the cooldown, as a fraction of the learning rate at its start.</summary>
    public double CooldownFinalFactor { get; private set; } = 0.01;

    /// <summary>Epochs of the large-batch polish with fixed noise after the plateau and cooldown (0: none).</summary>
    public int PolishEpochs { get; private set; }

    /// <summary>The batch size of the polish (null: the whole training set, one step per epoch).</summary>
    public int? PolishBatchSize { get; private set; }

    /// <summary>The learning rate of the polish as a multiple of the learning rate it starts from.</summary>
    public double PolishLearningRateFactor { get; private set; } = 1.0;

    /// <summary>The learning rate of the encoder's log-variance head as a multiple of the others' (default 1).</summary>
    public double VarianceHeadLearningRateFactor { get; private set; } = 1.0;

    /// <summary>Sets Adam's learning rate and betas.</summary>
    public EquilibriumTrainer WithAdam(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999)
    {
        if (!(double.IsFinite(learningRate) && learningRate > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be finite and > 0.");
        }

        if (!(beta1 >= 0 && beta1 < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "β₁ must be in [0, 1).");
        }

        if (!(beta2 >= 0 && beta2 < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "β₂ must be in [0, 1).");
        }

        (LearningRate, Beta1, Beta2) = (learningRate, beta1, beta2);
        return this;
    }

    /// <summary>Sets the training batch size (≥ 1).</summary>
    public EquilibriumTrainer WithBatchSize(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        BatchSize = batchSize;
        return this;
    }

    /// <summary>Sets the evaluation batch size (≥ 1).</summary>
    public EquilibriumTrainer WithEvaluationBatchSize(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        EvaluationBatchSize = batchSize;
        return this;
    }

    /// <summary>Sets the convergence rule.</summary>
    public EquilibriumTrainer WithConvergence(ConvergenceRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        Convergence = rule;
        return this;
    }

    /// <summary>Sets the convergence rule from its parts (see <see cref="ConvergenceRule"/>).</summary>
    public EquilibriumTrainer WithConvergence(int window = 3, double relativeTolerance = 1e-3, int maxEpochs = 50, int minEpochs = 1, double? functionalTolerance = null) =>
        WithConvergence(new ConvergenceRule(window, relativeTolerance, maxEpochs, minEpochs, functionalTolerance));

    /// <summary>
    /// Each time the convergence rule is met, multiply the learning rate by <paramref name="factor"/> and
    /// continue, up to <paramref name="times"/> times; the rule ends training only after the last decay.
    /// Lowering the learning rate removes most of Adam's noise floor, which brings J closer to its minimum.
    /// </summary>
    public EquilibriumTrainer WithLearningRateDecay(double factor, int times)
    {
        if (!(factor > 0 && factor < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "The decay factor must be in (0, 1).");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(times);
        (DecayFactor, Decays) = (factor, times);
        return this;
    }

    /// <summary>Sets the seed of the per-epoch shuffling (default: the model's seed).</summary>
    public EquilibriumTrainer WithShuffleSeed(long seed)
    {
        ShuffleSeed = seed;
        return this;
    }

    /// <summary>Reports progress every <paramref name="steps"/> steps as well as per epoch (0: per epoch only).</summary>
    public EquilibriumTrainer WithProgressInterval(int steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        ProgressInterval = steps;
        return this;
    }

    /// <summary>Whether to evaluate the functionals on the training data at the end (default true).</summary>
    public EquilibriumTrainer WithTrainingDataEvaluation(bool enabled)
    {
        EvaluateTrainingData = enabled;
        return this;
    }

    /// <summary>
    /// Evaluates and ends with an exponential moving average of the weights instead of the last iterate:
    /// every 4 steps (and at the end of each epoch), average ← β·average + (1 − β)·weights with β = exp(−s / (<paramref name="epochs"/> ×
    /// steps per epoch)) for the s steps since the last update, started from the weights at the start of the call. Adam at a constant learning rate
    /// leaves the iterate jittering around the minimum; the average sits closer to it. J after every epoch (the
    /// convergence rule) is measured on the averaged weights, and the model ends with them. Floating-point
    /// buffers (BatchNorm's running statistics in the convolutional model) are averaged the same way; integer
    /// buffers follow the live value. 0 turns averaging off.
    /// </summary>
    /// <param name="epochs">The time constant of the average in epochs, finite and ≥ 0 (0: none).</param>
    public EquilibriumTrainer WithWeightAveraging(double epochs)
    {
        if (!(double.IsFinite(epochs) && epochs >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "The averaging time constant must be finite and ≥ 0 epochs (0: none).");
        }

        AveragingEpochs = epochs;
        return this;
    }

    /// <summary>
    /// Once the convergence rule detects the plateau (after any <see cref="WithLearningRateDecay"/> cuts),
    /// trains <paramref name="epochs"/> more epochs while the learning rate falls along a half cosine, step by
    /// step, from its current value to <paramref name="finalFactor"/> times that value, then stops. The decay
    /// starts at the plateau, not on a fixed horizon (a decay over a fixed number of epochs stops learning too
    /// early); when the plateau is not reached in time, it starts so as to end at the epoch cap, and the result
    /// says the rule was not met. The epochs count towards <see cref="ConvergenceRule.MaxEpochs"/>. 0 turns it off.
    /// </summary>
    /// <param name="epochs">Epochs of decay, ≥ 0 (0: none).</param>
    /// <param name="finalFactor">The final learning rate as a fraction of the starting one, in (0, 1].</param>
    public EquilibriumTrainer WithCooldown(int epochs, double finalFactor = 0.01)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        if (!(finalFactor > 0 && finalFactor <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(finalFactor), finalFactor, "The final learning-rate factor must be in (0, 1].");
        }

        (CooldownEpochs, CooldownFinalFactor) = (epochs, finalFactor);
        return this;
    }

    /// <summary>
    /// After the plateau (and the cooldown, if any), trains <paramref name="epochs"/> more epochs with batches of
    /// <paramref name="batchSize"/> examples (null: the whole training set) in a fixed order with fixed z-noise:
    /// every polish epoch sees the same batches with the same noise, so the steps descend one fixed objective
    /// instead of a new noisy estimate each time. The learning rate is the one reached so far times
    /// <paramref name="learningRateFactor"/>. The epochs count towards <see cref="ConvergenceRule.MaxEpochs"/>.
    /// 0 turns it off.
    /// </summary>
    /// <param name="epochs">Polish epochs, ≥ 0 (0: none).</param>
    /// <param name="batchSize">Examples per polish step, ≥ 1, or null for the whole training set.</param>
    /// <param name="learningRateFactor">Multiplies the learning rate during the polish, finite and &gt; 0.</param>
    public EquilibriumTrainer WithPolish(int epochs, int? batchSize = null, double learningRateFactor = 1.0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        if (batchSize is int b)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(b, 1, nameof(batchSize));
        }

        if (!(double.IsFinite(learningRateFactor) && learningRateFactor > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRateFactor), learningRateFactor, "The polish learning-rate factor must be finite and > 0.");
        }

        (PolishEpochs, PolishBatchSize, PolishLearningRateFactor) = (epochs, batchSize, learningRateFactor);
        return this;
    }

    /// <summary>
    /// Trains the encoder's log-variance head with <paramref name="factor"/> times the learning rate of the
    /// other weights (decays and the cooldown scale both alike). 1 keeps one learning rate for all.
    /// </summary>
    /// <param name="factor">The multiple, finite and &gt; 0.</param>
    public EquilibriumTrainer WithVarianceHeadLearningRate(double factor)
    {
        if (!(double.IsFinite(factor) && factor > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "The variance-head learning-rate factor must be finite and > 0.");
        }

        VarianceHeadLearningRateFactor = factor;
        return this;
    }

    /// <summary>
    /// Switches off every relaxation remedy of issue 13 (weight averaging, cooldown, polish, a separate
    /// variance-head learning rate): training is then the plain Adam loop at a constant learning rate that the
    /// trainer ran before they existed, step for step. The convergence rule, learning-rate decays and the other
    /// settings are kept.
    /// </summary>
    public EquilibriumTrainer WithClassicRelaxation()
    {
        (AveragingEpochs, CooldownEpochs, CooldownFinalFactor) = (0, 0, 0.01);
        (PolishEpochs, PolishBatchSize, PolishLearningRateFactor, VarianceHeadLearningRateFactor) = (0, null, 1.0, 1.0);
        return this;
    }

    /// <summary>Sets the logger (per-epoch messages at Information, per-step at Debug).</summary>
    public EquilibriumTrainer WithLogger(ILogger? value)
    {
        logger = value ?? NullLogger.Instance;
        return this;
    }

    /// <summary>
    /// Trains <paramref name="model"/> at <paramref name="multipliers"/> until the convergence rule is met
    /// or the maximum number of epochs is reached.
    /// </summary>
    /// <param name="model">The model; trained in place from its current weights.</param>
    /// <param name="multipliers">λ and γ.</param>
    /// <param name="training">The training data.</param>
    /// <param name="evaluation">The data J is measured on after every epoch (default: the training data).</param>
    /// <param name="progress">Receives plain-number progress reports.</param>
    /// <param name="cancellationToken">Checked between steps; on cancellation the model keeps the weights of the last finished step.</param>
    /// <returns>The functionals reached, epochs, whether the rule was met, and the J history.</returns>
    /// <exception cref="ArgumentException">A dataset does not fit the model (shape or labels).</exception>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public TrainingResult Train(
        RateDistortionModel model,
        Multipliers multipliers,
        LabelledTensorDataset training,
        LabelledTensorDataset? evaluation = null,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(training);
        return Run(model, multipliers, TrainingTask.Of(training), TrainingTask.Of(evaluation ?? training), ReferenceEquals(evaluation ?? training, training), progress, cancellationToken);
    }

    /// <summary>
    /// Trains <paramref name="model"/> on a mixture of two tasks: every step takes a source batch and a
    /// target batch and minimises (1 − r)·J_source + r·J_target; J is measured after every epoch on the
    /// evaluation mixture (see <see cref="RateDistortionModel.Evaluate(TaskMixture, int, long?)"/>).
    /// </summary>
    /// <param name="model">The model; trained in place from its current weights.</param>
    /// <param name="multipliers">λ and γ.</param>
    /// <param name="training">The training mixture.</param>
    /// <param name="evaluation">The evaluation mixture (default: the training mixture); it should have the same ratio.</param>
    /// <param name="progress">Receives plain-number progress reports.</param>
    /// <param name="cancellationToken">Checked between steps.</param>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite; the model is put back as it was before the call.</exception>
    public TrainingResult Train(
        RateDistortionModel model,
        Multipliers multipliers,
        TaskMixture training,
        TaskMixture? evaluation = null,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(training);
        return Run(model, multipliers, TrainingTask.Of(training), TrainingTask.Of(evaluation ?? training), ReferenceEquals(evaluation ?? training, training), progress, cancellationToken);
    }

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
        return DivergenceRollback.Run(model, () => RunCore(model, multipliers, training, evaluation, evaluationIsTraining, progress, cancellationToken));
    }

    private TrainingResult RunCore(
        RateDistortionModel model,
        Multipliers multipliers,
        TrainingTask training,
        TrainingTask evaluation,
        bool evaluationIsTraining,
        IProgress<TrainingProgress>? progress,
        CancellationToken cancellationToken)
    {
        if (multipliers.Lambda <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(multipliers), multipliers, "λ must be > 0 (use new Multipliers(λ, γ)).");
        }

        training.Validate(model, nameof(training));
        evaluation.Validate(model, nameof(evaluation));
        cancellationToken.ThrowIfCancellationRequested();

        var clock = Stopwatch.StartNew();
        var history = new List<double>();
        var window = new List<double>();
        var windowFunctionals = new List<Functionals>();
        long stepsPerEpoch = training.StepsPerEpoch(BatchSize);
        double learningRate = LearningRate;
        int decaysLeft = Decays;
        bool converged = false;
        Functionals evaluated = null!;
        var network = model.Network;
        using var shuffle = new Generator(unchecked((ulong)(ShuffleSeed ?? model.Configuration.Seed)) + 2);
        using var optimizer = CreateOptimizer(network, learningRate, out double[] groupFactors);

        // The relaxation tail after the plateau: CooldownEpochs of cosine decay, then PolishEpochs with fixed batches and noise.
        int tail = CooldownEpochs + PolishEpochs;
        int tailStart = 0;
        double tailRate = learningRate;
        using var average = AveragingEpochs > 0 ? WeightAverage.Start(network) : null;
        long averageUpdates = 0;
        int pendingSteps = 0;
        using var polishOrder = PolishEpochs > 0 ? new Generator(unchecked((ulong)(ShuffleSeed ?? model.Configuration.Seed)) + 3) : null;
        int epoch = 0;
        while (epoch < Convergence.MaxEpochs)
        {
            epoch++;
            if (tail > 0 && tailStart == 0 && Convergence.MaxEpochs - epoch + 1 <= tail)
            {
                // The plateau was not reached in time: start the tail so that it ends at the cap.
                (tailStart, tailRate) = (epoch, learningRate);
                Log.RelaxationTail(logger, epoch, multipliers.Lambda, multipliers.Gamma, CooldownEpochs, PolishEpochs, false);
            }

            int tailEpoch = tailStart == 0 ? 0 : epoch - tailStart + 1;
            bool polishing = tailEpoch > CooldownEpochs;
            bool coolingDown = tailEpoch >= 1 && !polishing;
            int batchSize = polishing ? PolishBatchSize ?? training.LargestBatch : BatchSize;
            long epochSteps = polishing ? training.StepsPerEpoch(batchSize) : stepsPerEpoch;
            double averageDecay = AveragingEpochs > 0 ? Math.Exp(-1 / (AveragingEpochs * epochSteps)) : 0;
            if (polishing)
            {
                // The same batches with the same z-noise every polish epoch: one fixed objective.
                polishOrder!.manual_seed(unchecked((long)(ShuffleSeed ?? model.Configuration.Seed)) + 3);
                model.ReseedTrainingNoise(unchecked((ulong)model.Configuration.Seed) + 4);
                double cooled = CooldownEpochs > 0 ? CooldownFinalFactor : 1;
                SetLearningRate(optimizer, groupFactors, tailRate * cooled * PolishLearningRateFactor);
            }

            var epochClock = Stopwatch.StartNew();
            var sums = new double[4];
            long step = 0;
            long seen = 0;
            network.train();
            foreach (var batches in training.Steps(batchSize, polishing ? polishOrder! : shuffle))
            {
                using var scope = NewDisposeScope();
                if (cancellationToken.IsCancellationRequested)
                {
                    Log.Cancelled(logger, epoch, step);
                    cancellationToken.ThrowIfCancellationRequested();
                }

                step++;
                if (coolingDown)
                {
                    double progressed = (((tailEpoch - 1) * epochSteps) + step) / (double)(CooldownEpochs * epochSteps);
                    double final = tailRate * CooldownFinalFactor;
                    SetLearningRate(optimizer, groupFactors, final + ((tailRate - final) * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1, progressed)))));
                }

                optimizer.ZeroGrad();
                var (loss, readings, b) = Forward(model, batches, multipliers);
                ThrowIfDiverged(readings[0], epoch, step, multipliers);

                loss.backward();
                optimizer.Step();
                if (average is not null && ++pendingSteps is var pending && (pending == AveragingInterval || step == epochSteps))
                {
                    // Every few steps (and at the end of the epoch) with the decay of those steps: the same average
                    // up to O(interval / time constant), at a fraction of the cost. Early on the average follows
                    // the weights closely ((1 + n) / (10 + n) per step), then it is the full EMA.
                    averageUpdates += pending;
                    average.Update(Math.Pow(Math.Min(averageDecay, (1.0 + averageUpdates) / (10.0 + averageUpdates)), pending));
                    pendingSteps = 0;
                }

                seen += b;
                for (int i = 0; i < 3; i++)
                {
                    sums[i] += readings[i + 1];
                }

                sums[3] += readings[0] * b;
                Log.StepFinished(logger, epoch, step, readings[0]);
                if (progress is not null && ProgressInterval > 0 && step % ProgressInterval == 0 && step != epochSteps)
                {
                    progress.Report(Report(epoch, Convergence.MaxEpochs, step, epochSteps, multipliers, sums, seen, history, clock.Elapsed));
                }
            }

            average?.SwapIn();
            try
            {
                evaluated = evaluation.Evaluate(model, EvaluationBatchSize);
            }
            finally
            {
                average?.SwapOut();
            }

            double objective = evaluated.FreeEnergy(multipliers);
            ThrowIfDiverged(objective, epoch, step, multipliers);

            history.Add(objective);
            window.Add(objective);
            windowFunctionals.Add(evaluated);
            Log.EpochFinished(logger, epoch, Convergence.MaxEpochs, multipliers.Lambda, multipliers.Gamma, objective, evaluated.Rate, evaluated.Distortion, evaluated.Classification, evaluated.Accuracy, epochClock.Elapsed.TotalSeconds);
            progress?.Report(Report(epoch, Convergence.MaxEpochs, epochSteps, epochSteps, multipliers, sums, seen, history, clock.Elapsed));
            if (tailStart != 0)
            {
                if (tailEpoch >= tail)
                {
                    break;
                }

                continue;
            }

            if (Convergence.RelativeChange(window) is double change && change <= Convergence.RelativeTolerance && Convergence.FunctionalsSettled(windowFunctionals))
            {
                if (decaysLeft == 0)
                {
                    Log.Converged(logger, epoch, multipliers.Lambda, multipliers.Gamma, change, Convergence.Window);
                    converged = true;
                    if (tail == 0)
                    {
                        break;
                    }

                    (tailStart, tailRate) = (epoch + 1, learningRate);
                    Log.RelaxationTail(logger, epoch + 1, multipliers.Lambda, multipliers.Gamma, CooldownEpochs, PolishEpochs, true);
                    continue;
                }

                decaysLeft--;
                learningRate *= DecayFactor;
                SetLearningRate(optimizer, groupFactors, learningRate);

                // Judge the new learning rate on its own epochs only.
                window.Clear();
                window.Add(objective);
                windowFunctionals.Clear();
                windowFunctionals.Add(evaluated);
            }
        }

        // The model ends with the averaged weights (the ones every J above was measured on).
        average?.SwapIn();
        if (!converged)
        {
            Log.NotConverged(logger, epoch, multipliers.Lambda, multipliers.Gamma);
        }

        var trainingFunctionals = EvaluateTrainingData
            ? (evaluationIsTraining ? evaluated : training.Evaluate(model, EvaluationBatchSize))
            : null;
        return new TrainingResult(multipliers, trainingFunctionals, evaluated, epoch, converged, clock.Elapsed, history.AsReadOnly());
    }

    /// <summary>
    /// Adam over all weights (one parameter group, as before the relaxation options existed) or, with a separate
    /// variance-head learning rate, two groups; <paramref name="factors"/> receives each group's multiple of the
    /// learning rate. <see cref="LeanAdam"/> is TorchSharp's Adam update without its native-memory leak.
    /// </summary>
    private LeanAdam CreateOptimizer(RateDistortionNetwork network, double learningRate, out double[] factors)
    {
        if (VarianceHeadLearningRateFactor == 1)
        {
            factors = [1.0];
            return new LeanAdam([(network.parameters(), learningRate)], Beta1, Beta2);
        }

        const string VarianceHead = "encoder.logVariance.";
        var named = network.named_parameters().ToList();
        factors = [1.0, VarianceHeadLearningRateFactor];
        return new LeanAdam(
            [
                (named.Where(p => !p.name.StartsWith(VarianceHead, StringComparison.Ordinal)).Select(p => p.parameter), learningRate),
                (named.Where(p => p.name.StartsWith(VarianceHead, StringComparison.Ordinal)).Select(p => p.parameter), learningRate * VarianceHeadLearningRateFactor),
            ],
            Beta1,
            Beta2);
    }

    /// <summary>Sets every parameter group's learning rate to <paramref name="learningRate"/> times its factor.</summary>
    private static void SetLearningRate(LeanAdam optimizer, double[] factors, double learningRate)
    {
        for (int i = 0; i < optimizer.GroupCount; i++)
        {
            optimizer.SetLearningRate(i, learningRate * factors[i]);
        }
    }

    /// <summary>
    /// The forward pass of one step: the loss to back-propagate, the step's readings [J, ΣR, ΣD, ΣC] copied to
    /// the host in one read (J is needed at once, to stop before a non-finite loss reaches the weights), and
    /// the number of examples the step counts for. The tensors live in the caller's dispose scope.
    /// </summary>
    private static (Tensor Loss, double[] Readings, long Examples) Forward(RateDistortionModel model, (Tensor Inputs, Tensor Labels, double Weight)[] batches, Multipliers multipliers)
    {
        if (batches.Length == 1 && batches[0].Weight == 1)
        {
            // The common case, one dataset: no weighting, nothing to add up.
            var (inputs, labels, _) = batches[0];
            var (objective, statistics) = model.ForwardTrusted(inputs, labels).ObjectiveAndSums(multipliers);
            return (objective, Read(statistics), inputs.shape[0]);
        }

        Tensor? loss = null;
        Tensor? readings = null;
        foreach (var (inputs, labels, weight) in batches)
        {
            if (weight == 0)
            {
                continue;
            }

            var (objective, statistics) = model.ForwardTrusted(inputs, labels).ObjectiveAndSums(multipliers);
            var part = objective * weight;
            var partReadings = statistics * weight;
            loss = loss is null ? part : loss + part;
            readings = readings is null ? partReadings : readings + partReadings;
        }

        return (loss!, Read(readings!), batches[0].Inputs.shape[0]);
    }

    /// <summary>Copies a small tensor to the host as doubles (float32 values convert exactly).</summary>
    private static double[] Read(Tensor values)
    {
        var host = values.device_type == DeviceType.CPU ? values : values.cpu();
        return host.dtype == ScalarType.Float32
            ? Array.ConvertAll(host.data<float>().ToArray(), v => (double)v)
            : host.to(ScalarType.Float64).data<double>().ToArray();
    }

    /// <summary>Logs and throws when <paramref name="loss"/> is NaN or infinite.</summary>
    private void ThrowIfDiverged(double loss, int epoch, long step, Multipliers multipliers)
    {
        if (!double.IsFinite(loss))
        {
            Log.Diverged(logger, epoch, step, multipliers.Lambda, multipliers.Gamma, loss);
            throw new TrainingDivergedException(epoch, step, multipliers, loss);
        }
    }

    private static TrainingProgress Report(int epoch, int maxEpochs, long step, long stepsPerEpoch, Multipliers m, double[] sums, long seen, List<double> history, TimeSpan elapsed)
    {
        double n = Math.Max(1, seen);
        return new TrainingProgress(
            epoch,
            maxEpochs,
            step,
            stepsPerEpoch,
            m.Lambda,
            m.Gamma,
            sums[3] / n,
            sums[0] / n,
            sums[1] / n,
            sums[2] / n,
            history.Count > 0 ? history[^1] : double.NaN,
            elapsed);
    }
}
