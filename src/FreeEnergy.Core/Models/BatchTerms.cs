using FreeEnergy.Core.Internal;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Models;

/// <summary>
/// The per-example and per-sample terms of one forward pass of a <see cref="RateDistortionModel"/> on a
/// batch of B inputs with K samples of z each. All tensors are in nats and live on the model's device.
/// </summary>
/// <remarks>
/// The caller owns this object and must dispose it (or let an enclosing <c>torch.NewDisposeScope()</c>
/// dispose its tensors). The tensors keep their autograd graph, so <see cref="Objective"/> can be
/// back-propagated.
/// </remarks>
public sealed class BatchTerms : IDisposable
{
    private readonly Tensor logits;
    private readonly Tensor labels;
    private Tensor? correct;

    /// <param name="rate">R per input, [B].</param>
    /// <param name="distortion">ℓ_d per sample, [K, B].</param>
    /// <param name="classification">ℓ_c per sample, [K, B].</param>
    /// <param name="logits">The classifier's logits, [K·B, classes]: <see cref="Correct"/> is computed from them when first asked for.</param>
    /// <param name="labels">The labels repeated K times, [K·B].</param>
    internal BatchTerms(Tensor rate, Tensor distortion, Tensor classification, Tensor logits, Tensor labels)
    {
        Rate = rate;
        Distortion = distortion;
        Classification = classification;
        this.logits = logits;
        this.labels = labels;
    }

    /// <summary>Rate per input, shape [B]: KL(e(·|x) ‖ m), analytic or averaged over the K samples.</summary>
    public Tensor Rate { get; }

    /// <summary>Distortion per sample, shape [K, B]: ℓ_d = −log d(x|z).</summary>
    public Tensor Distortion { get; }

    /// <summary>Classification loss per sample, shape [K, B]: ℓ_c = −log c(y|z).</summary>
    public Tensor Classification { get; }

    /// <summary>
    /// Whether the most likely class of each sample is the label, shape [K, B], float 0 or 1. Computed when
    /// first asked for (training does not need it) and then owned like the other terms: it lives in the
    /// dispose scope of <see cref="Rate"/> and is disposed with this object.
    /// </summary>
    public Tensor Correct => correct ??= ComputeCorrect();

    /// <summary>The number of inputs B.</summary>
    public long BatchSize => Rate.shape[0];

    /// <summary>The number of samples K.</summary>
    public long Samples => Distortion.shape[0];

    /// <summary>
    /// The batch mean of R + λ·D + γ·C with D and C averaged over the K samples: a scalar tensor the caller owns.
    /// </summary>
    public Tensor Objective(Multipliers multipliers)
    {
        using var scope = NewDisposeScope();
        return MeanObjective(Distortion.mean([0]), Classification.mean([0]), multipliers).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Batch sums of [R, D, C, accuracy] as a tensor of shape [4] (D, C and accuracy averaged over the
    /// samples first): a tensor the caller owns, for accumulating functionals with one device read.
    /// </summary>
    public Tensor Sums()
    {
        using var scope = NewDisposeScope();
        return stack([
            Rate.sum(),
            Distortion.mean([0]).sum(),
            Classification.mean([0]).sum(),
            Correct.mean([0]).sum(),
        ]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The training step's loss and statistics in one pass: the scalar objective of <see cref="Objective"/>
    /// (with its autograd graph) and, detached, [J, ΣR, ΣD, ΣC] of shape [4] (D and C averaged over the
    /// samples first), computed from the same sample means so that a step reads the device once and does
    /// not evaluate the accuracy it does not report. Both tensors are in the caller's dispose scope.
    /// </summary>
    internal (Tensor Objective, Tensor Readings) ObjectiveAndSums(Multipliers multipliers)
    {
        var distortion = Distortion.mean([0]);
        var classification = Classification.mean([0]);
        var objective = MeanObjective(distortion, classification, multipliers);
        using var noGrad = no_grad();
        return (objective, stack([objective, Rate.sum(), distortion.sum(), classification.sum()]));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Rate.Dispose();
        Distortion.Dispose();
        Classification.Dispose();
        correct?.Dispose();
        logits.Dispose();
        labels.Dispose();
    }

    /// <summary>mean over the batch of R + λ·D̄ + γ·C̄, given the sample means D̄ and C̄ ([B] each); in the caller's scope.</summary>
    private Tensor MeanObjective(Tensor distortionMean, Tensor classificationMean, Multipliers multipliers)
    {
        var perExample = Rate.Plus(distortionMean.Times(multipliers.Lambda));
        if (multipliers.Gamma != 0)
        {
            perExample = perExample.Plus(classificationMean.Times(multipliers.Gamma));
        }

        return perExample.mean();
    }

    private Tensor ComputeCorrect()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return logits.argmax(-1).eq(labels).to(Rate.dtype).reshape(Samples, BatchSize).MoveToOtherDisposeScope(Rate);
    }
}
