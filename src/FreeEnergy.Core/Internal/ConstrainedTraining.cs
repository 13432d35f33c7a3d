using FreeEnergy.Core.Data;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Processes;
using FreeEnergy.Core.Training;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Internal;

/// <summary>
/// The training loop of a constrained run: one Adam state and one shuffling generator for the whole run, one
/// optimisation step at a time at the current (λ, γ) and task ratio r, the free multiplier set by a
/// <see cref="ConstraintController"/> after every step from the step's own measurement of the held quantity,
/// and deterministic held-out measurements (fixed examples, fixed z-noise) on demand.
/// </summary>
internal sealed class ConstrainedTraining : IDisposable
{
    private readonly RateDistortionModel model;
    private readonly LabeledTensorDataset sourceTraining;
    private readonly LabeledTensorDataset? targetTraining;
    private readonly LabeledTensorDataset sourceEvaluation;
    private readonly LabeledTensorDataset? targetEvaluation;
    private readonly int batchSize;
    private readonly int evaluationBatchSize;
    private readonly Generator shuffle;
    private readonly LeanAdam optimizer;
    private readonly IEnumerator<(Tensor Sx, Tensor Sy, Tensor? Tx, Tensor? Ty)> batches;
    private readonly CancellationToken cancellationToken;

    /// <summary>Creates the loop at <paramref name="start"/> with a controller holding <paramref name="goal"/> (started at the free multiplier's value).</summary>
    public ConstrainedTraining(
        RateDistortionModel model,
        EquilibriumTrainer trainer,
        LabeledTensorDataset sourceTraining,
        LabeledTensorDataset? targetTraining,
        LabeledTensorDataset sourceEvaluation,
        LabeledTensorDataset? targetEvaluation,
        HeldQuantity held,
        bool freeIsGamma,
        Multipliers start,
        double goal,
        ConstraintControllerOptions? options,
        CancellationToken cancellationToken)
    {
        // The controller first: it validates the goal and the options before anything is allocated.
        Controller = new ConstraintController(goal, freeIsGamma ? start.Gamma : start.Lambda, ExpectedSign(held), options);
        this.model = model;
        this.sourceTraining = sourceTraining;
        this.targetTraining = targetTraining;
        this.sourceEvaluation = sourceEvaluation;
        this.targetEvaluation = targetEvaluation;
        Held = held;
        FreeIsGamma = freeIsGamma;
        (Lambda, Gamma) = (start.Lambda, start.Gamma);
        ApplyController();
        this.cancellationToken = cancellationToken;
        batchSize = trainer.BatchSize;
        evaluationBatchSize = trainer.EvaluationBatchSize;
        StepsPerEpoch = targetTraining is null
            ? (sourceTraining.Count + batchSize - 1) / batchSize
            : new TaskMixture(sourceTraining, targetTraining, 0).StepsPerEpoch(batchSize);
        shuffle = new Generator(model.Seeds.Shuffling(trainer.ShuffleSeed));
        optimizer = new LeanAdam([(model.Network.parameters(), trainer.LearningRate)], trainer.Beta1, trainer.Beta2);
        batches = Endless().GetEnumerator();
    }

    public HeldQuantity Held { get; }

    /// <summary>Whether the controller sets γ (otherwise λ).</summary>
    public bool FreeIsGamma { get; }

    /// <summary>The controller; replace it to roll back its state.</summary>
    public ConstraintController Controller { get; set; }

    public double Lambda { get; set; }

    public double Gamma { get; set; }

    /// <summary>The task ratio r (0 on one task).</summary>
    public double Ratio { get; set; }

    public long StepsPerEpoch { get; }

    /// <summary>Optimisation steps taken so far.</summary>
    public long Steps { get; private set; }

    /// <summary>Training examples processed so far (both tasks of a mixture step count).</summary>
    public long ExamplesSeen { get; private set; }

    public double Epochs => (double)Steps / StepsPerEpoch;

    public Multipliers Multipliers => new(Lambda, Gamma);

    /// <summary>The sign of ∂Q/∂m theory expects: R rises with λ and γ; C and D fall.</summary>
    public static double ExpectedSign(HeldQuantity held) => held == HeldQuantity.Rate ? 1 : -1;

    /// <summary>The held-out measurement at the current ratio (fixed examples, the model's fixed evaluation noise).</summary>
    public ProcessMeasurement Measure() => ProcessMeasurement.Of(model, sourceEvaluation, targetEvaluation, Ratio, evaluationBatchSize);

    /// <summary>A held-out check: measures, corrects the controller's training set point from the held value, and returns both.</summary>
    public (ProcessMeasurement Measured, double Value) Check()
    {
        var measured = Measure();
        double value = HeldValue(measured.Mixture);
        Controller.CorrectSetPoint(value);
        return (measured, value);
    }

    /// <summary>
    /// Puts the training set point at the target minus the gap between <paramref name="heldOut"/> and the same
    /// quantity on the training data (the training value sits below the held-out one by the generalisation gap).
    /// </summary>
    public void StartSetPoint(Functionals heldOut) => Controller.ResetSetPoint(Controller.Target - (HeldValue(heldOut) - MeasureTraining()));

    /// <summary>The model trained.</summary>
    public RateDistortionModel Model => model;

    /// <summary>The held quantity on the training data (the mixture's at the current ratio), in evaluation mode.</summary>
    public double MeasureTraining() => HeldValue(ProcessMeasurement.Of(model, sourceTraining, Ratio == 0 ? null : targetTraining, Ratio, evaluationBatchSize).Mixture);

    /// <summary>The held quantity's value in <paramref name="f"/>.</summary>
    public double HeldValue(Functionals f) => QuasiStaticProcess.HeldValue(Held, f);

    /// <summary>One optimisation step at the current multipliers and ratio, then one controller update (when <paramref name="control"/>).</summary>
    public void Step(bool control = true)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        batches.MoveNext();
        var (sx, sy, tx, ty) = batches.Current;
        double measured;
        using (var scope = NewDisposeScope())
        {
            var m = Multipliers;
            optimizer.ZeroGrad();
            Tensor? loss = null;
            Tensor? readings = null;
            double r = tx is null ? 0 : Ratio;
            Accumulate(sx, sy, 1 - r, m, ref loss, ref readings);
            if (tx is not null)
            {
                Accumulate(tx, ty!, r, m, ref loss, ref readings);
            }

            var host = readings!.to(ScalarType.Float64).cpu().data<double>().ToArray();
            long b = sx.shape[0];
            if (!double.IsFinite(host[0]))
            {
                throw new TrainingDivergedException((int)(Steps / StepsPerEpoch) + 1, (Steps % StepsPerEpoch) + 1, m, host[0]);
            }

            loss!.backward();
            optimizer.Step();
            Steps++;
            ExamplesSeen += tx is null ? b : 2 * b;
            measured = Held switch
            {
                HeldQuantity.Rate => host[1] / b,
                HeldQuantity.Distortion => host[2] / b,
                _ => host[3] / b,
            };
        }

        if (control)
        {
            Controller.Update(measured);
            ApplyController();
        }
    }

    /// <summary>Applies the controller's multiplier to the free coordinate (after a feedforward or a rollback).</summary>
    public void ApplyController()
    {
        if (FreeIsGamma)
        {
            Gamma = Controller.Multiplier;
        }
        else
        {
            Lambda = Controller.Multiplier;
        }
    }

    public void Dispose()
    {
        batches.Dispose();
        optimizer.Dispose();
        shuffle.Dispose();
    }

    private void Accumulate(Tensor inputs, Tensor labels, double weight, Multipliers m, ref Tensor? loss, ref Tensor? readings)
    {
        if (weight == 0)
        {
            return;
        }

        var (objective, statistics) = model.ForwardTrusted(inputs, labels).ObjectiveAndSums(m);
        if (weight != 1)
        {
            objective = objective.Times(weight);
            statistics = statistics.Times(weight);
        }

        loss = loss is null ? objective : loss.Plus(objective);
        readings = readings is null ? statistics : readings.Plus(statistics);
    }

    private IEnumerable<(Tensor, Tensor, Tensor?, Tensor?)> Endless()
    {
        while (true)
        {
            if (targetTraining is null)
            {
                foreach (var (x, y) in sourceTraining.Batches(batchSize, shuffle))
                {
                    yield return (x, y, null, null);
                }
            }
            else
            {
                foreach (var (sx, sy, tx, ty) in new TaskMixture(sourceTraining, targetTraining, 0).PairedBatches(batchSize, shuffle))
                {
                    yield return (sx, sy, tx, ty);
                }
            }
        }
    }
}
