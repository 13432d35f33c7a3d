using System.Diagnostics;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Derivatives;

/// <summary>
/// Derivatives along the equilibrium surface from the implicit-function theorem at the trained weights θ*:
/// with H = ∇²J(θ*) for J = R + λ·D + γ·C,
/// D_λ = −∇Dᵀ H⁻¹ ∇D, D_γ = C_λ = −∇Cᵀ H⁻¹ ∇D, C_γ = −∇Cᵀ H⁻¹ ∇C.
/// </summary>
/// <remarks>
/// <para>
/// J, ∇D, ∇C and the Hessian-vector products H·v are computed on the data (a seeded subsample of at most
/// <see cref="MaxExamples"/> examples) in evaluation mode (batch normalisation uses its running statistics)
/// with a fixed z-noise per batch, so J is a deterministic, twice-differentiable function of θ. H·v comes from
/// double back-propagation (the gradient of ∇J·v). The two linear systems (H + δI)·u = ∇D and
/// (H + δI)·w = ∇C are solved by conjugate gradient; the damping δ keeps the solve defined when H is nearly
/// singular (flat directions such as weights a ReLU never passes) or slightly indefinite (Adam stops near, not
/// at, the minimum). When a solve meets a direction of non-positive damped curvature, δ is raised and both
/// solves restart (<see cref="MaxDampingIncreases"/>); the report gives the δ finally used. Damping shrinks the
/// answer: a curvature direction with eigenvalue μ is weighted 1/(μ + δ) instead of 1/μ.
/// </para>
/// <para>
/// The estimate is symmetric by construction: the reported D_γ and C_λ are the same number, the
/// second-order-accurate symmetric form ∇Cᵀu + ∇Dᵀw − uᵀ(H + δI)w (one extra Hessian-vector product), so
/// the Maxwell relation holds exactly for it. It is exact for the restricted model family when θ* is a
/// strict minimum of J and the solves converge. Cost: about (iterations of both solves + 1) forward passes
/// and double backward passes over the examples; with the default single batch the first-order graph is
/// built once and reused. See <see cref="EstimateWithReport"/> for the convergence diagnostics.
/// </para>
/// <para>
/// Configure with an <see cref="ImplicitDerivativeEstimatorOptions"/> (validated once, every problem reported
/// together) or the <c>With…</c> methods, which return a new estimator and leave this one unchanged; then call
/// <see cref="Estimate"/>. The model's weights, training mode and generators are unchanged on return.
/// </para>
/// </remarks>
public sealed class ImplicitDerivativeEstimator : IDerivativeEstimator
{
    /// <summary>What a non-finite Hessian-vector product means for the model.</summary>
    private const string NonFiniteAdvice = "H is the Hessian of the model's loss, which is not twice differentiable at these weights or overflows.";

    private readonly ILogger? logger;

    /// <summary>Creates an estimator with the default settings.</summary>
    public ImplicitDerivativeEstimator()
        : this(new ImplicitDerivativeEstimatorOptions())
    {
    }

    /// <summary>Creates an estimator with <paramref name="options"/>.</summary>
    /// <param name="options">The settings.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="FreeEnergyConfigurationException">A setting is out of range (every problem is listed).</exception>
    public ImplicitDerivativeEstimator(ImplicitDerivativeEstimatorOptions options)
        : this(options, null)
    {
    }

    private ImplicitDerivativeEstimator(ImplicitDerivativeEstimatorOptions options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Validate();
        this.logger = logger;
    }

    /// <inheritdoc />
    public string Name => "implicit";

    /// <summary>The settings.</summary>
    public ImplicitDerivativeEstimatorOptions Options { get; }

    /// <summary>δ (<see cref="ImplicitDerivativeEstimatorOptions.Damping"/>).</summary>
    public double Damping => Options.Damping;

    /// <summary>How many times δ may be raised (<see cref="ImplicitDerivativeEstimatorOptions.MaxDampingIncreases"/>).</summary>
    public int MaxDampingIncreases => Options.MaxDampingIncreases;

    /// <summary>The CG relative residual at which a solve stops (<see cref="ImplicitDerivativeEstimatorOptions.Tolerance"/>).</summary>
    public double Tolerance => Options.Tolerance;

    /// <summary>The largest number of CG iterations per solve (<see cref="ImplicitDerivativeEstimatorOptions.MaxIterations"/>).</summary>
    public int MaxIterations => Options.MaxIterations;

    /// <summary>At most this many examples are used, or null for all (<see cref="ImplicitDerivativeEstimatorOptions.MaxExamples"/>).</summary>
    public int? MaxExamples => Options.MaxExamples;

    /// <summary>The seed of the subsample (<see cref="ImplicitDerivativeEstimatorOptions.SubsampleSeed"/>).</summary>
    public long SubsampleSeed => Options.SubsampleSeed;

    /// <summary>The seed of the fixed z-noise, or null for a value derived from the model's seed (<see cref="ImplicitDerivativeEstimatorOptions.NoiseSeed"/>).</summary>
    public long? NoiseSeed => Options.NoiseSeed;

    /// <summary>Independent z-noise draws per example (<see cref="ImplicitDerivativeEstimatorOptions.NoiseReplicas"/>).</summary>
    public int NoiseReplicas => Options.NoiseReplicas;

    /// <summary>Examples per forward pass (<see cref="ImplicitDerivativeEstimatorOptions.BatchSize"/>).</summary>
    public int BatchSize => Options.BatchSize;

    /// <summary>Whether to compute on a float64 copy of the model (<see cref="ImplicitDerivativeEstimatorOptions.UseFloat64"/>).</summary>
    public bool UseFloat64 => Options.UseFloat64;

    /// <summary>A new estimator with δ set, finite and ≥ 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range.</exception>
    public ImplicitDerivativeEstimator WithDamping(double damping) =>
        With(Options with { Damping = damping }, nameof(damping), damping);

    /// <summary>
    /// A new estimator that may raise δ tenfold (at least) up to <paramref name="maxIncreases"/> times when H + δI is
    /// found not positive definite (≥ 0; 0: never, the solve then stops at the negative curvature and the report says so).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range.</exception>
    public ImplicitDerivativeEstimator WithAdaptiveDamping(int maxIncreases) =>
        With(Options with { MaxDampingIncreases = maxIncreases }, nameof(maxIncreases), maxIncreases);

    /// <summary>A new estimator with the CG stopping rule: relative residual in (0, 1) and an iteration limit ≥ 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public ImplicitDerivativeEstimator WithConjugateGradient(
        double tolerance = ImplicitDerivativeEstimatorOptions.Defaults.Tolerance,
        int maxIterations = ImplicitDerivativeEstimatorOptions.Defaults.MaxIterations)
    {
        var withTolerance = Checked(Options with { Tolerance = tolerance }, nameof(tolerance), tolerance);
        return With(withTolerance with { MaxIterations = maxIterations }, nameof(maxIterations), maxIterations);
    }

    /// <summary>A new estimator that uses at most <paramref name="maxExamples"/> examples (≥ 1; null: all), drawn with <paramref name="seed"/> when the data has more.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range.</exception>
    public ImplicitDerivativeEstimator WithExamples(int? maxExamples, long seed = ImplicitDerivativeEstimatorOptions.Defaults.SubsampleSeed) =>
        With(Options with { MaxExamples = maxExamples, SubsampleSeed = seed }, nameof(maxExamples), maxExamples);

    /// <summary>A new estimator with the seed of the fixed z-noise.</summary>
    public ImplicitDerivativeEstimator WithNoiseSeed(long seed) =>
        With(Options with { NoiseSeed = seed }, nameof(seed), seed);

    /// <summary>A new estimator with this many independent z-noise draws per example (≥ 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range.</exception>
    public ImplicitDerivativeEstimator WithNoiseReplicas(int replicas) =>
        With(Options with { NoiseReplicas = replicas }, nameof(replicas), replicas);

    /// <summary>A new estimator with this many examples per forward pass (≥ 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range.</exception>
    public ImplicitDerivativeEstimator WithBatchSize(int batchSize) =>
        With(Options with { BatchSize = batchSize }, nameof(batchSize), batchSize);

    /// <summary>A new estimator that computes on a float64 copy of the model (true) or on the model itself in its own precision.</summary>
    public ImplicitDerivativeEstimator WithFloat64(bool enabled) =>
        With(Options with { UseFloat64 = enabled }, nameof(enabled), enabled);

    /// <summary>A new estimator with this logger (summary at Information, per solve at Debug, non-convergence at Warning); default: the model's logger.</summary>
    public ImplicitDerivativeEstimator WithLogger(ILogger? value) => new(Options, value);

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The data does not fit the model, or λ ≤ 0 (a default <see cref="Multipliers"/>).</exception>
    /// <exception cref="InvalidOperationException">A Hessian-vector product or gradient was not finite.</exception>
    /// <exception cref="OperationCanceledException">Cancelled (checked between CG iterations).</exception>
    public SurfaceDerivatives Estimate(RateDistortionModel model, Multipliers multipliers, LabeledTensorDataset data, CancellationToken cancellationToken = default) =>
        EstimateWithReport(model, multipliers, data, cancellationToken).Derivatives;

    /// <summary>
    /// Estimates the derivatives like <see cref="Estimate"/> and reports how the solves went. A solve that did
    /// not converge or met negative curvature is logged as a warning and flagged in the report; the derivatives
    /// are still returned (from the last iterate), so check <see cref="ImplicitDerivativeReport.Converged"/>.
    /// </summary>
    /// <param name="model">The model at equilibrium; its weights, mode and generators are unchanged on return.</param>
    /// <param name="multipliers">The multipliers the model was trained at.</param>
    /// <param name="data">The data J is defined on (normally the training data).</param>
    /// <param name="cancellationToken">Checked between CG iterations.</param>
    /// <returns>The derivatives and diagnostics.</returns>
    /// <exception cref="ArgumentException">The data does not fit the model, or λ ≤ 0 (a default <see cref="Multipliers"/>).</exception>
    /// <exception cref="InvalidOperationException">A Hessian-vector product or gradient was not finite.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public ImplicitDerivativeReport EstimateWithReport(RateDistortionModel model, Multipliers multipliers, LabeledTensorDataset data, CancellationToken cancellationToken = default)
    {
        EstimatorChecks.RequireValidArguments(model, multipliers, data, cancellationToken);
        var log = logger ?? model.Logger;
        var clock = Stopwatch.StartNew();
        var network = model.Network;
        bool wasTraining = network.training;
        LabeledTensorDataset? subset = null;
        RateDistortionModel? copy = null;
        try
        {
            var examples = data;
            if (MaxExamples is int max && data.Count > max)
            {
                subset = EstimatorChecks.Subsample(data, max, SubsampleSeed);
                examples = subset;
            }

            var work = model;
            if (UseFloat64 && network.parameters().Any(p => p.dtype != ScalarType.Float64))
            {
                copy = Float64Copy(model);
                work = copy;
            }

            network.eval();
            work.Network.eval();
            long noiseSeed = NoiseSeed ?? model.Seeds.ImplicitDerivativeNoise;
            using var scope = NewDisposeScope();
            var problem = new HessianVectorProduct(work, examples, multipliers, BatchSize, NoiseReplicas, noiseSeed);
            var (gradientJ, gradientD, gradientC) = problem.Gradients();
            cancellationToken.ThrowIfCancellationRequested();
            if (multipliers.Gamma == 0 && model.Configuration.Classes > 1 && Norm(gradientC) > 0)
            {
                DerivativeLog.ClassifierNotPinned(log);
            }

            var solves = SolveWithAdaptiveDamping(problem, gradientD, gradientC, log, cancellationToken);
            var report = Combine(problem, solves, gradientJ, gradientD, gradientC, examples.Count, clock, cancellationToken);
            LogSummary(log, multipliers, report, problem.ParameterCount, clock.Elapsed.TotalSeconds);
            return report;
        }
        finally
        {
            network.train(wasTraining);
            copy?.Dispose();
            subset?.Dispose();
        }
    }

    /// <summary>A new estimator with <paramref name="options"/> and this one's logger (copy-on-write).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The options have a problem; it is reported for <paramref name="parameter"/>, the argument just changed.</exception>
    private ImplicitDerivativeEstimator With(ImplicitDerivativeEstimatorOptions options, string parameter, object? value) =>
        new(Checked(options, parameter, value), logger);

    private static ImplicitDerivativeEstimatorOptions Checked(ImplicitDerivativeEstimatorOptions options, string parameter, object? value) =>
        OptionsArgument.Checked(options, o => o.Problems(), parameter, value);

    /// <summary>
    /// Solves (H + δI)·u = ∇D and (H + δI)·w = ∇C, raising δ past the curvature met and solving again while a
    /// solve meets a non-positive direction, at most <see cref="MaxDampingIncreases"/> times.
    /// </summary>
    private DampedSolves SolveWithAdaptiveDamping(HessianVectorProduct problem, double[] gradientD, double[] gradientC, ILogger log, CancellationToken cancellationToken)
    {
        var solver = new DampedConjugateGradient(Tolerance, MaxIterations);
        double damping = Damping;
        int increases = 0;
        while (true)
        {
            var (distortionSolve, u) = solver.Solve(problem.HessianVector, gradientD, damping, NonFiniteAdvice, cancellationToken);
            DerivativeLog.ConjugateGradientFinished(log, "D", damping, distortionSolve.Iterations, distortionSolve.RelativeResidual, distortionSolve.Converged, distortionSolve.NegativeCurvature);
            var (classificationSolve, w) = distortionSolve.NegativeCurvature && increases < MaxDampingIncreases
                ? (new ConjugateGradientReport(0, 1, false, false, double.NaN, double.NaN), new double[gradientC.Length]) // δ will be raised anyway: skip the second solve
                : solver.Solve(problem.HessianVector, gradientC, damping, NonFiniteAdvice, cancellationToken);
            DerivativeLog.ConjugateGradientFinished(log, "C", damping, classificationSolve.Iterations, classificationSolve.RelativeResidual, classificationSolve.Converged, classificationSolve.NegativeCurvature);
            bool negative = distortionSolve.NegativeCurvature || classificationSolve.NegativeCurvature;
            if (!negative || increases >= MaxDampingIncreases)
            {
                WarnIfUnconverged(log, "D", damping, distortionSolve);
                WarnIfUnconverged(log, "C", damping, classificationSolve);
                return new DampedSolves(distortionSolve, u, classificationSolve, w, damping, increases);
            }

            // Raise δ past the curvature just met (its Rayleigh quotient is the smallest Ritz value reported).
            double curvature = IgnoringNaN(Math.Min, distortionSolve.SmallestRitzValue, classificationSolve.SmallestRitzValue);
            double raised = Math.Max(10 * damping, 2 * Math.Abs(curvature));
            DerivativeLog.DampingRaised(log, damping, raised, curvature);
            damping = raised;
            increases++;
        }
    }

    /// <summary>The derivatives from the two solutions (the symmetric off-diagonal estimate) and the report.</summary>
    private ImplicitDerivativeReport Combine(HessianVectorProduct problem, DampedSolves solves, double[] gradientJ, double[] gradientD, double[] gradientC, long examples, Stopwatch clock, CancellationToken cancellationToken)
    {
        var (u, w, damping) = (solves.U, solves.W, solves.Damping);
        double dLambda = 0.0 - Dot(gradientD, u);
        double cGamma = 0.0 - Dot(gradientC, w);
        double cu = Dot(gradientC, u);
        double dw = Dot(gradientD, w);
        double symmetric = cu + dw;
        if (Norm(u) > 0 && Norm(w) > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            symmetric -= Dot(u, DampedConjugateGradient.DampedProduct(problem.HessianVector, w, damping));
        }

        // 0.0 − v turns a −0 into +0 (an exactly vanishing entry, for example C_λ with one class, prints as 0).
        var derivatives = new SurfaceDerivatives(0.0 + dLambda, 0.0 - symmetric, 0.0 - symmetric, 0.0 + cGamma);
        return new ImplicitDerivativeReport(
            derivatives,
            solves.Distortion,
            solves.Classification,
            examples,
            NoiseReplicas,
            problem.ParameterCount,
            damping,
            solves.Increases,
            Norm(gradientJ),
            Norm(gradientD),
            Norm(gradientC),
            Math.Abs(cu - dw),
            clock.Elapsed);
    }

    private static void LogSummary(ILogger log, Multipliers multipliers, ImplicitDerivativeReport report, long parameters, double seconds)
    {
        if (log.IsEnabled(LogLevel.Information))
        {
            double smallestRitz = IgnoringNaN(Math.Min, report.DistortionSolve.SmallestRitzValue, report.ClassificationSolve.SmallestRitzValue);
            double largestRitz = IgnoringNaN(Math.Max, report.DistortionSolve.LargestRitzValue, report.ClassificationSolve.LargestRitzValue);
            DerivativeLog.ImplicitFinished(log, multipliers.Lambda, multipliers.Gamma, report.Examples, parameters, report.Damping, report.GradientNorm, smallestRitz, largestRitz, seconds);
        }
    }

    private void WarnIfUnconverged(ILogger log, string target, double damping, ConjugateGradientReport solve)
    {
        if (!solve.Converged || solve.NegativeCurvature)
        {
            DerivativeLog.ConjugateGradientNotConverged(log, target, damping, solve.Iterations, solve.RelativeResidual, Tolerance, solve.NegativeCurvature);
        }
    }

    private static RateDistortionModel Float64Copy(RateDistortionModel model)
    {
        var copy = new RateDistortionModel(model.Configuration, null);
        try
        {
            using (var noGrad = no_grad())
            {
                var target = copy.Network.state_dict();
                foreach (var (name, value) in model.Network.state_dict())
                {
                    target[name].copy_(value);
                }
            }

            copy.Network.to(ScalarType.Float64);
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    private static double Dot(double[] a, double[] b) => DampedConjugateGradient.Dot(a, b);

    private static double Norm(double[] a) => DampedConjugateGradient.Norm(a);

    private static double IgnoringNaN(Func<double, double, double> pick, double a, double b) =>
        double.IsNaN(a) ? b : double.IsNaN(b) ? a : pick(a, b);

    /// <summary>The two solves at the final damping and their solutions.</summary>
    private sealed record DampedSolves(ConjugateGradientReport Distortion, double[] U, ConjugateGradientReport Classification, double[] W, double Damping, int Increases);
}
