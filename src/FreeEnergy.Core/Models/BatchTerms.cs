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
    internal BatchTerms(Tensor rate, Tensor distortion, Tensor classification, Tensor correct)
    {
        Rate = rate;
        Distortion = distortion;
        Classification = classification;
        Correct = correct;
    }

    /// <summary>Rate per input, shape [B]: KL(e(·|x) ‖ m), analytic or averaged over the K samples.</summary>
    public Tensor Rate { get; }

    /// <summary>Distortion per sample, shape [K, B]: ℓ_d = −log d(x|z).</summary>
    public Tensor Distortion { get; }

    /// <summary>Classification loss per sample, shape [K, B]: ℓ_c = −log c(y|z).</summary>
    public Tensor Classification { get; }

    /// <summary>Whether the most likely class of each sample is the label, shape [K, B], float 0 or 1.</summary>
    public Tensor Correct { get; }

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
        var perExample = Rate + (Distortion.mean([0]) * multipliers.Lambda);
        if (multipliers.Gamma != 0)
        {
            perExample = perExample + (Classification.mean([0]) * multipliers.Gamma);
        }

        return perExample.mean().MoveToOuterDisposeScope();
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

    /// <inheritdoc />
    public void Dispose()
    {
        Rate.Dispose();
        Distortion.Dispose();
        Classification.Dispose();
        Correct.Dispose();
    }
}
