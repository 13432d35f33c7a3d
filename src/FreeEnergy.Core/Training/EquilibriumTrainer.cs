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
/// The settings are one immutable <see cref="EquilibriumTrainerOptions"/> (defaults in
/// <see cref="EquilibriumTrainerOptions.Defaults"/>), validated as a whole when the trainer is made. The fluent
/// <c>With…</c> methods check their arguments and return a new trainer; the receiver never changes, so a trainer can
/// be shared (by a sweep, a process and an estimator) and varied without surprises. Training is synchronous; use
/// one model from one thread at a time.
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

    private readonly ILogger logger;

    /// <summary>Creates a trainer with the default settings (<see cref="EquilibriumTrainerOptions.Defaults"/>).</summary>
    public EquilibriumTrainer()
        : this(new EquilibriumTrainerOptions())
    {
    }

    /// <summary>Creates a trainer with <paramref name="options"/>, validated as a whole.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="logger">Per-epoch messages at Information, per-step at Debug (default: none).</param>
    /// <exception cref="FreeEnergy.Core.Diagnostics.FreeEnergyConfigurationException">The settings have problems; every one is listed.</exception>
    public EquilibriumTrainer(EquilibriumTrainerOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Validate();
        this.logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The settings.</summary>
    public EquilibriumTrainerOptions Options { get; }

    /// <summary>Adam's learning rate (<see cref="EquilibriumTrainerOptions.LearningRate"/>).</summary>
    public double LearningRate => Options.LearningRate;

    /// <summary>Adam's β₁ (<see cref="EquilibriumTrainerOptions.Beta1"/>).</summary>
    public double Beta1 => Options.Beta1;

    /// <summary>Adam's β₂ (<see cref="EquilibriumTrainerOptions.Beta2"/>).</summary>
    public double Beta2 => Options.Beta2;

    /// <summary>Examples per training step (<see cref="EquilibriumTrainerOptions.BatchSize"/>).</summary>
    public int BatchSize => Options.BatchSize;

    /// <summary>Examples per forward pass when evaluating (<see cref="EquilibriumTrainerOptions.EvaluationBatchSize"/>).</summary>
    public int EvaluationBatchSize => Options.EvaluationBatchSize;

    /// <summary>The stopping rule (<see cref="EquilibriumTrainerOptions.Convergence"/>).</summary>
    public ConvergenceRule Convergence => Options.Convergence;

    /// <summary>The learning-rate decay factor (<see cref="EquilibriumTrainerOptions.DecayFactor"/>).</summary>
    public double DecayFactor => Options.DecayFactor;

    /// <summary>How many times the learning rate may be decayed (<see cref="EquilibriumTrainerOptions.Decays"/>).</summary>
    public int Decays => Options.Decays;

    /// <summary>The seed of the per-epoch shuffling, or null to use the model's seed (<see cref="EquilibriumTrainerOptions.ShuffleSeed"/>).</summary>
    public long? ShuffleSeed => Options.ShuffleSeed;

    /// <summary>Steps between progress reports within an epoch (<see cref="EquilibriumTrainerOptions.ProgressInterval"/>).</summary>
    public int ProgressInterval => Options.ProgressInterval;

    /// <summary>Whether to evaluate the functionals on the training data at the end (<see cref="EquilibriumTrainerOptions.EvaluateTrainingData"/>).</summary>
    public bool EvaluateTrainingData => Options.EvaluateTrainingData;

    /// <summary>The time constant of the weight average in epochs (<see cref="EquilibriumTrainerOptions.AveragingEpochs"/>).</summary>
    public double AveragingEpochs => Options.AveragingEpochs;

    /// <summary>Epochs of cosine learning-rate decay after the plateau (<see cref="EquilibriumTrainerOptions.CooldownEpochs"/>).</summary>
    public int CooldownEpochs => Options.CooldownEpochs;

    /// <summary>The final learning-rate factor of the cooldown (<see cref="EquilibriumTrainerOptions.CooldownFinalFactor"/>).</summary>
    public double CooldownFinalFactor => Options.CooldownFinalFactor;

    /// <summary>Epochs of the fixed-noise polish (<see cref="EquilibriumTrainerOptions.PolishEpochs"/>).</summary>
    public int PolishEpochs => Options.PolishEpochs;

    /// <summary>The batch size of the polish (<see cref="EquilibriumTrainerOptions.PolishBatchSize"/>).</summary>
    public int? PolishBatchSize => Options.PolishBatchSize;

    /// <summary>The polish's learning-rate factor (<see cref="EquilibriumTrainerOptions.PolishLearningRateFactor"/>).</summary>
    public double PolishLearningRateFactor => Options.PolishLearningRateFactor;

    /// <summary>The variance head's learning-rate factor (<see cref="EquilibriumTrainerOptions.VarianceHeadLearningRateFactor"/>).</summary>
    public double VarianceHeadLearningRateFactor => Options.VarianceHeadLearningRateFactor;

    /// <summary>A trainer with <paramref name="options"/> (validated as a whole) and this trainer's logger; this trainer is unchanged.</summary>
    /// <exception cref="FreeEnergy.Core.Diagnostics.FreeEnergyConfigurationException">The settings have problems; every one is listed.</exception>
    public EquilibriumTrainer WithOptions(EquilibriumTrainerOptions options) => new(options, logger);

    /// <summary>A trainer with Adam's learning rate and betas set; this trainer is unchanged.</summary>
    public EquilibriumTrainer WithAdam(
        double learningRate = EquilibriumTrainerOptions.Defaults.LearningRate,
        double beta1 = EquilibriumTrainerOptions.Defaults.Beta1,
        double beta2 = EquilibriumTrainerOptions.Defaults.Beta2)
    {
        Guard.Positive(learningRate, "The learning rate");
        Guard.InRange(beta1, 0, 1, true, false, "β₁");
        Guard.InRange(beta2, 0, 1, true, false, "β₂");
        return WithOptions(Options with { LearningRate = learningRate, Beta1 = beta1, Beta2 = beta2 });
    }

    /// <summary>A trainer with the training batch size set (≥ 1); this trainer is unchanged.</summary>
    public EquilibriumTrainer WithBatchSize(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return WithOptions(Options with { BatchSize = batchSize });
    }

    /// <summary>A trainer with the evaluation batch size set (≥ 1); this trainer is unchanged.</summary>
    public EquilibriumTrainer WithEvaluationBatchSize(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return WithOptions(Options with { EvaluationBatchSize = batchSize });
    }

    /// <summary>A trainer with the convergence rule set; this trainer is unchanged.</summary>
    public EquilibriumTrainer WithConvergence(ConvergenceRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return WithOptions(Options with { Convergence = rule });
    }

    /// <summary>A trainer with the convergence rule made from its parts (see <see cref="ConvergenceRule"/>); this trainer is unchanged.</summary>
    public EquilibriumTrainer WithConvergence(
        int window = ConvergenceRule.Defaults.Window,
        double relativeTolerance = ConvergenceRule.Defaults.RelativeTolerance,
        int maxEpochs = ConvergenceRule.Defaults.MaxEpochs,
        int minEpochs = ConvergenceRule.Defaults.MinEpochs,
        double? functionalTolerance = null) =>
        WithConvergence(new ConvergenceRule(window, relativeTolerance, maxEpochs, minEpochs, functionalTolerance));

    /// <summary>A trainer that trains exactly <paramref name="epochs"/> epochs (<see cref="ConvergenceRule.FixedEpochs"/>); this trainer is unchanged.</summary>
    public EquilibriumTrainer WithFixedEpochs(int epochs) => WithConvergence(ConvergenceRule.FixedEpochs(epochs));

    /// <summary>
    /// Each time the convergence rule is met, multiply the learning rate by <paramref name="factor"/> and
    /// continue, up to <paramref name="times"/> times; the rule ends training only after the last decay.
    /// Lowering the learning rate removes most of Adam's noise floor, which brings J closer to its minimum.
    /// Returns a new trainer; this one is unchanged.
    /// </summary>
    public EquilibriumTrainer WithLearningRateDecay(double factor, int times)
    {
        Guard.InRange(factor, 0, 1, false, false, "The decay factor");
        ArgumentOutOfRangeException.ThrowIfNegative(times);
        return WithOptions(Options with { DecayFactor = factor, Decays = times });
    }

    /// <summary>A trainer with the seed of the per-epoch shuffling set (default: the model's seed); this trainer is unchanged.</summary>
    public EquilibriumTrainer WithShuffleSeed(long seed) => WithOptions(Options with { ShuffleSeed = seed });

    /// <summary>A trainer that reports progress every <paramref name="steps"/> steps as well as per epoch (0: per epoch only); this trainer is unchanged.</summary>
    public EquilibriumTrainer WithProgressInterval(int steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        return WithOptions(Options with { ProgressInterval = steps });
    }

    /// <summary>A trainer that does (or does not) evaluate the functionals on the training data at the end; this trainer is unchanged.</summary>
    public EquilibriumTrainer WithTrainingDataEvaluation(bool enabled) => WithOptions(Options with { EvaluateTrainingData = enabled });

    /// <summary>
    /// Evaluates and ends with an exponential moving average of the weights instead of the last iterate:
    /// every 4 steps (and at the end of each epoch), average ← β·average + (1 − β)·weights with β = exp(−s / (<paramref name="epochs"/> ×
    /// steps per epoch)) for the s steps since the last update, started from the weights at the start of the call. Adam at a constant learning rate
    /// leaves the iterate jittering around the minimum; the average sits closer to it. J after every epoch (the
    /// convergence rule) is measured on the averaged weights, and the model ends with them. Floating-point
    /// buffers (BatchNorm's running statistics in the convolutional model) are averaged the same way; integer
    /// buffers follow the live value. 0 turns averaging off. Returns a new trainer; this one is unchanged.
    /// </summary>
    /// <param name="epochs">The time constant of the average in epochs, finite and ≥ 0 (0: none).</param>
    public EquilibriumTrainer WithWeightAveraging(double epochs)
    {
        Guard.NonNegative(epochs, "The averaging time constant in epochs", "(0: none)");
        return WithOptions(Options with { AveragingEpochs = epochs });
    }

    /// <summary>
    /// Once the convergence rule detects the plateau (after any <see cref="WithLearningRateDecay"/> cuts),
    /// trains <paramref name="epochs"/> more epochs while the learning rate falls along a half cosine, step by
    /// step, from its current value to <paramref name="finalFactor"/> times that value, then stops. The decay
    /// starts at the plateau, not on a fixed horizon (a decay over a fixed number of epochs stops learning too
    /// early); when the plateau is not reached in time, it starts so as to end at the epoch cap, and the result
    /// says the rule was not met. The epochs count towards <see cref="ConvergenceRule.MaxEpochs"/>. 0 turns it off.
    /// Returns a new trainer; this one is unchanged.
    /// </summary>
    /// <param name="epochs">Epochs of decay, ≥ 0 (0: none).</param>
    /// <param name="finalFactor">The final learning rate as a fraction of the starting one, in (0, 1].</param>
    public EquilibriumTrainer WithCooldown(int epochs, double finalFactor = EquilibriumTrainerOptions.Defaults.CooldownFinalFactor)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        Guard.InRange(finalFactor, 0, 1, false, true, "The final learning-rate factor");
        return WithOptions(Options with { CooldownEpochs = epochs, CooldownFinalFactor = finalFactor });
    }

    /// <summary>
    /// After the plateau (and the cooldown, if any), trains <paramref name="epochs"/> more epochs with batches of
    /// <paramref name="batchSize"/> examples (null: the whole training set) in a fixed order with fixed z-noise:
    /// every polish epoch sees the same batches with the same noise, so the steps descend one fixed objective
    /// instead of a new noisy estimate each time. The learning rate is the one reached so far times
    /// <paramref name="learningRateFactor"/>. The epochs count towards <see cref="ConvergenceRule.MaxEpochs"/>.
    /// 0 turns it off. Returns a new trainer; this one is unchanged.
    /// </summary>
    /// <param name="epochs">Polish epochs, ≥ 0 (0: none).</param>
    /// <param name="batchSize">Examples per polish step, ≥ 1, or null for the whole training set.</param>
    /// <param name="learningRateFactor">Multiplies the learning rate during the polish, finite and &gt; 0.</param>
    public EquilibriumTrainer WithPolish(int epochs, int? batchSize = null, double learningRateFactor = EquilibriumTrainerOptions.Defaults.PolishLearningRateFactor)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        if (batchSize is int b)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(b, 1, nameof(batchSize));
        }

        Guard.Positive(learningRateFactor, "The polish learning-rate factor");
        return WithOptions(Options with { PolishEpochs = epochs, PolishBatchSize = batchSize, PolishLearningRateFactor = learningRateFactor });
    }

    /// <summary>
    /// Trains the encoder's log-variance head with <paramref name="factor"/> times the learning rate of the
    /// other weights (decays and the cooldown scale both alike). 1 keeps one learning rate for all.
    /// Returns a new trainer; this one is unchanged.
    /// </summary>
    /// <param name="factor">The multiple, finite and &gt; 0.</param>
    public EquilibriumTrainer WithVarianceHeadLearningRate(double factor)
    {
        Guard.Positive(factor, "The variance-head learning-rate factor");
        return WithOptions(Options with { VarianceHeadLearningRateFactor = factor });
    }

    /// <summary>
    /// Switches off every relaxation remedy of issue 13 (weight averaging, cooldown, polish, a separate
    /// variance-head learning rate): training is then the plain Adam loop at a constant learning rate that the
    /// trainer ran before they existed, step for step. The convergence rule, learning-rate decays and the other
    /// settings are kept. Returns a new trainer; this one is unchanged.
    /// </summary>
    public EquilibriumTrainer WithClassicRelaxation()
    {
        var defaults = new EquilibriumTrainerOptions();
        return WithOptions(Options with
        {
            AveragingEpochs = defaults.AveragingEpochs,
            CooldownEpochs = defaults.CooldownEpochs,
            CooldownFinalFactor = defaults.CooldownFinalFactor,
            PolishEpochs = defaults.PolishEpochs,
            PolishBatchSize = defaults.PolishBatchSize,
            PolishLearningRateFactor = defaults.PolishLearningRateFactor,
            VarianceHeadLearningRateFactor = defaults.VarianceHeadLearningRateFactor,
        });
    }

    /// <summary>A trainer with the logger set (per-epoch messages at Information, per-step at Debug); this trainer is unchanged.</summary>
    public EquilibriumTrainer WithLogger(ILogger? value) => new(Options, value);

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
        LabeledTensorDataset training,
        LabeledTensorDataset? evaluation = null,
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
            var part = objective.Times(weight);
            var partReadings = statistics.Times(weight);
            loss = loss is null ? part : loss.Plus(part);
            readings = readings is null ? partReadings : readings.Plus(partReadings);
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
}
