using System.Globalization;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Derivatives;

/// <summary>
/// Derivatives from the fluctuations of the per-sample losses under the encoder ("heat capacities"): for each
/// input x, across its K samples z ~ e(z|x), the unbiased Cov(ℓ_c, ℓ_d), Var(ℓ_c) and Var(ℓ_d) of
/// ℓ_d = −log d(x|z) and ℓ_c = −log c(y|z), averaged over the inputs:
/// C_λ = D_γ ≈ −E_x Cov(ℓ_c, ℓ_d), C_γ ≈ −E_x Var(ℓ_c), D_λ ≈ −E_x Var(ℓ_d).
/// </summary>
/// <remarks>
/// <para>
/// <b>When it is exact.</b> These are the second derivatives of F = −E_x log Z(x) for the Gibbs encoder
/// e*(z|x) ∝ m(z)·d(x|z)^λ·c(y|z)^γ with the prior m, decoder d and classifier c <em>frozen</em>
/// (theory.md §2, fact 5). They are not the derivatives along the equilibrium surface of a trained network:
/// (1) the network's encoder is a diagonal Gaussian, which equals the Gibbs encoder only in special cases
/// (a linear-Gaussian model at its optimum); (2) along the surface m, d and c re-adapt as well. For a Gibbs
/// encoder, letting (m, d, c) adapt can only make F more curved, so then |D_λ| and |C_γ| from this estimator
/// are at most the true ones (for the Gaussian source at γ = 0 each active dimension i contributes
/// (1 − 1/(λs_i²)²)/(2λ²) here against 1/(2λ²) on the surface). Treat it as a cheap, biased estimate: good
/// for signs and orders of magnitude, not for the Maxwell or concavity identities of a trained network.
/// </para>
/// <para>
/// Cost: one forward pass over the data without gradients. Works in evaluation mode with z-noise from a
/// generator seeded with <see cref="NoiseSeed"/>. The standard errors are those of the mean over inputs
/// (the per-input values' standard deviation / √N), which covers the sampling noise of the K samples and of
/// the inputs, not the bias described above. Needs K ≥ 2 samples per input.
/// </para>
/// </remarks>
public sealed class EncoderFluctuationEstimator : IDerivativeEstimator
{
    /// <inheritdoc />
    public string Name => "fluctuation";

    /// <summary>Creates an estimator with the default settings.</summary>
    public EncoderFluctuationEstimator()
        : this(new EncoderFluctuationEstimatorOptions())
    {
    }

    /// <summary>Creates an estimator with <paramref name="options"/>.</summary>
    /// <param name="options">The settings.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="FreeEnergyConfigurationException">A setting is out of range (every problem is listed).</exception>
    public EncoderFluctuationEstimator(EncoderFluctuationEstimatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Validate();
    }

    /// <summary>The settings.</summary>
    public EncoderFluctuationEstimatorOptions Options { get; }

    /// <summary>The seed of the z-noise, or null for the model's evaluation default.</summary>
    public long? NoiseSeed => Options.NoiseSeed;

    /// <summary>Examples per forward pass (<see cref="EncoderFluctuationEstimatorOptions.BatchSize"/>).</summary>
    public int BatchSize => Options.BatchSize;

    /// <summary>A new estimator with the seed of the z-noise.</summary>
    public EncoderFluctuationEstimator WithNoiseSeed(long seed) => new(Options with { NoiseSeed = seed });

    /// <summary>A new estimator with this many examples per forward pass (≥ 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range.</exception>
    public EncoderFluctuationEstimator WithBatchSize(int batchSize) =>
        new(OptionsArgument.Checked(Options with { BatchSize = batchSize }, o => o.Problems(), nameof(batchSize), batchSize));

    /// <inheritdoc />
    /// <remarks>
    /// The multipliers do not enter the formulas; they are checked (λ &gt; 0) and name the point. The
    /// uncertainties are standard errors over inputs (null with a single input).
    /// </remarks>
    /// <exception cref="ArgumentException">The model has K &lt; 2 samples per input, the data does not fit the model, or λ ≤ 0.</exception>
    /// <exception cref="OperationCanceledException">Cancelled (checked between batches).</exception>
    public SurfaceDerivatives Estimate(RateDistortionModel model, Multipliers multipliers, LabeledTensorDataset data, CancellationToken cancellationToken = default)
    {
        EstimatorChecks.RequireValidArguments(model, multipliers, data, cancellationToken);
        if (model.Samples < 2)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The fluctuation estimator needs K ≥ 2 samples of z per input for unbiased per-input variances; the model has K = {model.Samples}. Build the model with WithSamples(k) for k ≥ 2 (the authors use 8)."), nameof(model));
        }

        ulong seed = NoiseSeed is long s ? unchecked((ulong)s) : model.Seeds.EncoderFluctuationNoise;
        var statistics = PerInputMoments(model, data, seed, cancellationToken);
        double? Error(RunningMean m) => m.Count > 1 ? Math.Sqrt(m.SquaredDeviations / (m.Count - 1) / m.Count) : null;
        // 0.0 − v rather than −v: a vanishing covariance (one class) is reported as +0.
        return new SurfaceDerivatives(0.0 - statistics[0].Mean, 0.0 - statistics[1].Mean, 0.0 - statistics[1].Mean, 0.0 - statistics[2].Mean)
        {
            DLambdaUncertainty = Error(statistics[0]),
            DGammaUncertainty = Error(statistics[1]),
            CLambdaUncertainty = Error(statistics[1]),
            CGammaUncertainty = Error(statistics[2]),
        };
    }

    /// <summary>Var(ℓ_d), Cov(ℓ_c, ℓ_d) and Var(ℓ_c) over each input's K samples, as running means over the inputs (evaluation mode, no gradients; the mode is restored).</summary>
    private RunningMean[] PerInputMoments(RateDistortionModel model, LabeledTensorDataset data, ulong seed, CancellationToken cancellationToken)
    {
        var network = model.Network;
        bool wasTraining = network.training;
        var statistics = new RunningMean[3]; // Var(ℓ_d), Cov(ℓ_c, ℓ_d), Var(ℓ_c) per input
        try
        {
            network.eval();
            using var noise = new Generator(seed);
            using var noGrad = no_grad();
            foreach (var batch in data.Batches(BatchSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                using var terms = model.ForwardTrusted(batch.Inputs, batch.Labels, noise);
                var distortion = terms.Distortion.to(ScalarType.Float64);
                var classification = terms.Classification.to(ScalarType.Float64);
                long k = distortion.shape[0];
                var d = distortion - distortion.mean([0], keepdim: true);
                var c = classification - classification.mean([0], keepdim: true);
                var perInput = stack([(d * d).sum([0]), (c * d).sum([0]), (c * c).sum([0])]).OverInPlace(k - 1); // [3, B]
                var means = perInput.mean([1], keepdim: true);
                var squares = (perInput - means).Squared().sum([1], keepdim: true);
                double[] values = [.. cat([means, squares], 1).cpu().data<double>()];
                long b = perInput.shape[1];
                for (int q = 0; q < 3; q++)
                {
                    statistics[q] = statistics[q].Merge(b, values[2 * q], values[(2 * q) + 1]);
                }
            }
        }
        finally
        {
            network.train(wasTraining);
        }

        return statistics;
    }

    /// <summary>Count, mean and sum of squared deviations, merged batch by batch (Chan et al.).</summary>
    private readonly record struct RunningMean(long Count, double Mean, double SquaredDeviations)
    {
        public RunningMean Merge(long count, double mean, double squaredDeviations)
        {
            if (Count == 0)
            {
                return new RunningMean(count, mean, squaredDeviations);
            }

            long total = Count + count;
            double delta = mean - Mean;
            return new RunningMean(
                total,
                Mean + (delta * count / total),
                SquaredDeviations + squaredDeviations + (delta * delta * Count * count / total));
        }
    }
}
