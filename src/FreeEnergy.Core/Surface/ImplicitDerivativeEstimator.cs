using System.Diagnostics;
using System.Globalization;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using MathNet.Numerics.LinearAlgebra;
using Microsoft.Extensions.Logging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Surface;

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
/// Configure with the <c>With…</c> methods (each validates its argument), then call <see cref="Estimate"/>.
/// The model's weights, training mode and generators are unchanged on return.
/// </para>
/// </remarks>
public sealed class ImplicitDerivativeEstimator : IDerivativeEstimator
{
    private ILogger? logger;

    /// <inheritdoc />
    public string Name => "implicit";

    /// <summary>δ, the multiple of the identity added to H (default 1e-4, in nats per unit θ²).</summary>
    public double Damping { get; private set; } = 1e-4;

    /// <summary>
    /// How many times δ may be raised when a solve meets negative curvature (default 8; 0 turns adaptive damping
    /// off). Each raise sets δ to max(10·δ, 2·|pᵀHp| / pᵀp) for the offending direction p and restarts both solves.
    /// </summary>
    public int MaxDampingIncreases { get; private set; } = 8;

    /// <summary>The relative residual ‖b − (H + δI)u‖ / ‖b‖ at which a solve stops (default 1e-6).</summary>
    public double Tolerance { get; private set; } = 1e-6;

    /// <summary>The largest number of CG iterations per solve (default 500).</summary>
    public int MaxIterations { get; private set; } = 500;

    /// <summary>At most this many examples are used (a seeded random subsample when the data has more), or null for all (default 4096).</summary>
    public int? MaxExamples { get; private set; } = 4096;

    /// <summary>The seed of the subsample (default 0).</summary>
    public long SubsampleSeed { get; private set; }

    /// <summary>The seed of the fixed z-noise (batch b uses seed + b), or null for a value derived from the model's seed.</summary>
    public long? NoiseSeed { get; private set; }

    /// <summary>
    /// How many independent z-noise draws each example gets in the fixed-noise J (default 1: the model's K samples
    /// once). More replicas lower the Monte-Carlo error of H, ∇D and ∇C at a proportional cost.
    /// </summary>
    public int NoiseReplicas { get; private set; } = 1;

    /// <summary>Examples per forward pass (default 4096). When all examples fit one batch, the first-order graph is built once and reused.</summary>
    public int BatchSize { get; private set; } = 4096;

    /// <summary>Whether to compute in float64 on a temporary double-precision copy of the model (default true).</summary>
    public bool UseFloat64 { get; private set; } = true;

    /// <summary>Sets δ, finite and ≥ 0.</summary>
    public ImplicitDerivativeEstimator WithDamping(double damping)
    {
        if (!(double.IsFinite(damping) && damping >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(damping), damping, "The damping must be finite and ≥ 0.");
        }

        Damping = damping;
        return this;
    }

    /// <summary>
    /// Sets how many times δ may be raised tenfold (at least) when H + δI is found not positive definite
    /// (≥ 0; 0: never, the solve then stops at the negative curvature and the report says so).
    /// </summary>
    public ImplicitDerivativeEstimator WithAdaptiveDamping(int maxIncreases)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxIncreases);
        MaxDampingIncreases = maxIncreases;
        return this;
    }

    /// <summary>Sets the CG stopping rule: relative residual in (0, 1) and an iteration limit ≥ 1.</summary>
    public ImplicitDerivativeEstimator WithConjugateGradient(double tolerance = 1e-6, int maxIterations = 500)
    {
        if (!(tolerance > 0 && tolerance < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "The CG tolerance must be in (0, 1).");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxIterations, 1);
        (Tolerance, MaxIterations) = (tolerance, maxIterations);
        return this;
    }

    /// <summary>Uses at most <paramref name="maxExamples"/> examples (≥ 1; null: all), drawn with <paramref name="seed"/> when the data has more.</summary>
    public ImplicitDerivativeEstimator WithExamples(int? maxExamples, long seed = 0)
    {
        if (maxExamples is int m)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(m, 1, nameof(maxExamples));
        }

        (MaxExamples, SubsampleSeed) = (maxExamples, seed);
        return this;
    }

    /// <summary>Sets the seed of the fixed z-noise.</summary>
    public ImplicitDerivativeEstimator WithNoiseSeed(long seed)
    {
        NoiseSeed = seed;
        return this;
    }

    /// <summary>Sets how many independent z-noise draws each example gets (≥ 1).</summary>
    public ImplicitDerivativeEstimator WithNoiseReplicas(int replicas)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        NoiseReplicas = replicas;
        return this;
    }

    /// <summary>Sets the examples per forward pass (≥ 1).</summary>
    public ImplicitDerivativeEstimator WithBatchSize(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        BatchSize = batchSize;
        return this;
    }

    /// <summary>Whether to compute on a float64 copy of the model (true) or on the model itself in its own precision.</summary>
    public ImplicitDerivativeEstimator WithFloat64(bool enabled)
    {
        UseFloat64 = enabled;
        return this;
    }

    /// <summary>Sets the logger (summary at Information, per solve at Debug, non-convergence at Warning); default: the model's logger.</summary>
    public ImplicitDerivativeEstimator WithLogger(ILogger? value)
    {
        logger = value;
        return this;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The data does not fit the model, or λ ≤ 0 (a default <see cref="Multipliers"/>).</exception>
    /// <exception cref="InvalidOperationException">A Hessian-vector product or gradient was not finite.</exception>
    /// <exception cref="OperationCanceledException">Cancelled (checked between CG iterations).</exception>
    public SurfaceDerivatives Estimate(RateDistortionModel model, Multipliers multipliers, LabelledTensorDataset data, CancellationToken cancellationToken = default) =>
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
    public ImplicitDerivativeReport EstimateWithReport(RateDistortionModel model, Multipliers multipliers, LabelledTensorDataset data, CancellationToken cancellationToken = default)
    {
        EstimatorChecks.RequireValidArguments(model, multipliers, data, cancellationToken);
        var log = logger ?? model.Logger;
        var clock = Stopwatch.StartNew();
        var network = model.Network;
        bool wasTraining = network.training;
        LabelledTensorDataset? subset = null;
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
            var problem = new HessianProblem(work, examples, multipliers, BatchSize, NoiseReplicas, noiseSeed);
            var (gradientJ, gradientD, gradientC) = problem.Gradients();
            cancellationToken.ThrowIfCancellationRequested();
            if (multipliers.Gamma == 0 && model.Configuration.Classes > 1 && Norm(gradientC) > 0)
            {
                DerivativeLog.ClassifierNotPinned(log);
            }

            double damping = Damping;
            int increases = 0;
            ConjugateGradientReport distortionSolve, classificationSolve;
            double[] u, w;
            while (true)
            {
                distortionSolve = Solve(problem, gradientD, damping, out u, cancellationToken);
                DerivativeLog.ConjugateGradientFinished(log, "D", damping, distortionSolve.Iterations, distortionSolve.RelativeResidual, distortionSolve.Converged, distortionSolve.NegativeCurvature);
                if (distortionSolve.NegativeCurvature && increases < MaxDampingIncreases)
                {
                    // The damping will be raised anyway: skip the second solve.
                    classificationSolve = new ConjugateGradientReport(0, 1, false, false, double.NaN, double.NaN);
                    w = new double[gradientC.Length];
                }
                else
                {
                    classificationSolve = Solve(problem, gradientC, damping, out w, cancellationToken);
                }

                DerivativeLog.ConjugateGradientFinished(log, "C", damping, classificationSolve.Iterations, classificationSolve.RelativeResidual, classificationSolve.Converged, classificationSolve.NegativeCurvature);
                bool negative = distortionSolve.NegativeCurvature || classificationSolve.NegativeCurvature;
                if (!negative || increases >= MaxDampingIncreases)
                {
                    break;
                }

                // Raise δ past the curvature just met (its Rayleigh quotient is the smallest Ritz value reported).
                double curvature = IgnoringNaN(Math.Min, distortionSolve.SmallestRitzValue, classificationSolve.SmallestRitzValue);
                double raised = Math.Max(10 * damping, 2 * Math.Abs(curvature));
                DerivativeLog.DampingRaised(log, damping, raised, curvature);
                damping = raised;
                increases++;
            }

            WarnIfUnconverged(log, "D", damping, distortionSolve);
            WarnIfUnconverged(log, "C", damping, classificationSolve);

            double dLambda = 0.0 - Dot(gradientD, u);
            double cGamma = 0.0 - Dot(gradientC, w);
            double cu = Dot(gradientC, u);
            double dw = Dot(gradientD, w);
            double symmetric = cu + dw;
            if (Norm(u) > 0 && Norm(w) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                double[] aw = problem.HessianVector(w);
                for (int i = 0; i < aw.Length; i++)
                {
                    aw[i] += damping * w[i];
                }

                symmetric -= Dot(u, aw);
            }

            // 0.0 − v turns a −0 into +0 (an exactly vanishing entry, for example C_λ with one class, prints as 0).
            var derivatives = new SurfaceDerivatives(0.0 + dLambda, 0.0 - symmetric, 0.0 - symmetric, 0.0 + cGamma);
            var report = new ImplicitDerivativeReport(
                derivatives,
                distortionSolve,
                classificationSolve,
                examples.Count,
                NoiseReplicas,
                problem.ParameterCount,
                damping,
                increases,
                Norm(gradientJ),
                Norm(gradientD),
                Norm(gradientC),
                Math.Abs(cu - dw),
                clock.Elapsed);
            double smallestRitz = IgnoringNaN(Math.Min, distortionSolve.SmallestRitzValue, classificationSolve.SmallestRitzValue);
            double largestRitz = IgnoringNaN(Math.Max, distortionSolve.LargestRitzValue, classificationSolve.LargestRitzValue);
            double seconds = clock.Elapsed.TotalSeconds;
            if (log.IsEnabled(LogLevel.Information))
            {
                DerivativeLog.ImplicitFinished(
                    log,
                    multipliers.Lambda,
                    multipliers.Gamma,
                    examples.Count,
                    problem.ParameterCount,
                    damping,
                    report.GradientNorm,
                    smallestRitz,
                    largestRitz,
                    seconds);
            }

            return report;
        }
        finally
        {
            network.train(wasTraining);
            copy?.Dispose();
            subset?.Dispose();
        }
    }

    private void WarnIfUnconverged(ILogger log, string target, double damping, ConjugateGradientReport solve)
    {
        if (!solve.Converged || solve.NegativeCurvature)
        {
            DerivativeLog.ConjugateGradientNotConverged(log, target, damping, solve.Iterations, solve.RelativeResidual, Tolerance, solve.NegativeCurvature);
        }
    }

    /// <summary>Damped conjugate gradient for (H + δI)·x = b, starting at x = 0, with Lanczos bookkeeping for Ritz values.</summary>
    private ConjugateGradientReport Solve(HessianProblem problem, double[] b, double damping, out double[] x, CancellationToken cancellationToken)
    {
        int n = b.Length;
        x = new double[n];
        double bNorm = Norm(b);
        if (bNorm == 0)
        {
            return new ConjugateGradientReport(0, 0, true, false, double.NaN, double.NaN);
        }

        double[] r = (double[])b.Clone();
        double[] p = (double[])b.Clone();
        double rs = Dot(r, r);
        var alphas = new List<double>();
        var betas = new List<double>();
        bool converged = false;
        bool negative = false;
        double negativeRayleigh = double.PositiveInfinity;
        int iterations = 0;
        while (iterations < MaxIterations)
        {
            cancellationToken.ThrowIfCancellationRequested();
            double[] ap = problem.HessianVector(p);
            iterations++;
            for (int i = 0; i < n; i++)
            {
                ap[i] += damping * p[i];
            }

            double pap = Dot(p, ap);
            if (!double.IsFinite(pap))
            {
                throw new InvalidOperationException(Invariant($"A Hessian-vector product was not finite (pᵀ(H + δI)p = {pap:R}) at CG iteration {iterations}; the model's loss is not twice differentiable at these weights or overflows."));
            }

            if (pap <= 0)
            {
                negative = true;
                negativeRayleigh = pap / Dot(p, p);
                break;
            }

            double alpha = rs / pap;
            for (int i = 0; i < n; i++)
            {
                x[i] += alpha * p[i];
                r[i] -= alpha * ap[i];
            }

            alphas.Add(alpha);
            double rsNew = Dot(r, r);
            if (Math.Sqrt(rsNew) <= Tolerance * bNorm)
            {
                converged = true;
                rs = rsNew;
                break;
            }

            double beta = rsNew / rs;
            betas.Add(beta);
            for (int i = 0; i < n; i++)
            {
                p[i] = r[i] + (beta * p[i]);
            }

            rs = rsNew;
        }

        var (smallest, largest) = RitzRange(alphas, betas);
        if (negative)
        {
            smallest = Math.Min(double.IsNaN(smallest) ? double.PositiveInfinity : smallest, negativeRayleigh);
            largest = double.IsNaN(largest) ? negativeRayleigh : largest;
        }

        return new ConjugateGradientReport(iterations, Math.Sqrt(rs) / bNorm, converged, negative, smallest - damping, largest - damping);
    }

    /// <summary>Extreme eigenvalues of the Lanczos tridiagonal matrix that CG's coefficients define.</summary>
    private static (double Smallest, double Largest) RitzRange(List<double> alphas, List<double> betas)
    {
        int k = alphas.Count;
        if (k == 0)
        {
            return (double.NaN, double.NaN);
        }

        var t = Matrix<double>.Build.Dense(k, k);
        for (int j = 0; j < k; j++)
        {
            t[j, j] = (1 / alphas[j]) + (j > 0 ? betas[j - 1] / alphas[j - 1] : 0);
            if (j + 1 < k)
            {
                double off = Math.Sqrt(betas[j]) / alphas[j];
                t[j, j + 1] = off;
                t[j + 1, j] = off;
            }
        }

        var values = t.Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).ToArray();
        return (values.Min(), values.Max());
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

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    private static double Norm(double[] a) => Math.Sqrt(Dot(a, a));

    private static double IgnoringNaN(Func<double, double, double> pick, double a, double b) =>
        double.IsNaN(a) ? b : double.IsNaN(b) ? a : pick(a, b);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// J = R + λD + γC (per example, mean over the examples) with fixed z-noise, its gradients and its
    /// Hessian-vector products, for the trainable parameters of one model. Tensors it keeps live in the
    /// caller's dispose scope.
    /// </summary>
    private sealed class HessianProblem
    {
        private readonly RateDistortionModel model;
        private readonly Multipliers multipliers;
        private readonly List<Parameter> parameters;
        private readonly long[] sizes;
        private readonly List<(Tensor Inputs, Tensor Labels, long Seed)> batches = [];
        private readonly double count;
        private readonly ScalarType dtype;
        private Tensor[]? cachedGradient;

        public HessianProblem(RateDistortionModel model, LabelledTensorDataset data, Multipliers multipliers, int batchSize, int replicas, long noiseSeed)
        {
            this.model = model;
            this.multipliers = multipliers;
            parameters = [.. model.Network.parameters().Where(p => p.requires_grad)];
            if (parameters.Count == 0)
            {
                throw new InvalidOperationException("The model has no trainable parameters.");
            }

            sizes = [.. parameters.Select(p => p.numel())];
            ParameterCount = sizes.Sum();
            dtype = parameters[0].dtype;
            var allInputs = data.Inputs;
            var allLabels = data.Labels;
            if (replicas > 1)
            {
                long[] repeats = [.. Enumerable.Repeat(1L, (int)allInputs.dim())];
                repeats[0] = replicas;
                allInputs = allInputs.repeat(repeats);
                allLabels = allLabels.repeat(replicas);
            }

            long rows = allInputs.shape[0];
            count = rows;
            long index = 0;
            for (long start = 0; start < rows; start += batchSize, index++)
            {
                long length = Math.Min(batchSize, rows - start);
                var x = allInputs.narrow(0, start, length).to(dtype).to(model.Device);
                var y = allLabels.narrow(0, start, length).to(model.Device);
                batches.Add((x, y, unchecked(noiseSeed + index)));
            }
        }

        public long ParameterCount { get; }

        /// <summary>∇J, ∇D and ∇C over all examples, as flat float64 vectors.</summary>
        public (double[] J, double[] D, double[] C) Gradients()
        {
            var gradientR = new double[ParameterCount];
            var gradientD = new double[ParameterCount];
            var gradientC = new double[ParameterCount];
            foreach (var (x, y, seed) in batches)
            {
                using var scope = NewDisposeScope();
                var (r, d, c) = Terms(x, y, seed);
                var tie = Tie();
                Accumulate(gradientD, torch.autograd.grad([d + tie], parameters.Cast<Tensor>().ToList(), retain_graph: true));
                Accumulate(gradientC, torch.autograd.grad([c + tie], parameters.Cast<Tensor>().ToList(), retain_graph: true));
                Accumulate(gradientR, torch.autograd.grad([r + tie], parameters.Cast<Tensor>().ToList()));
            }

            var gradientJ = new double[ParameterCount];
            for (int i = 0; i < gradientJ.Length; i++)
            {
                gradientJ[i] = gradientR[i] + (multipliers.Lambda * gradientD[i]) + (multipliers.Gamma * gradientC[i]);
            }

            RequireFinite(gradientJ, "∇J");
            return (gradientJ, gradientD, gradientC);
        }

        /// <summary>H·v for a flat float64 vector v.</summary>
        public double[] HessianVector(double[] v)
        {
            var result = new double[ParameterCount];
            if (batches.Count == 1)
            {
                // Built once, in the caller's scope, and reused by every product.
                cachedGradient ??= FirstOrderGraph(batches[0]);
            }

            using var scope = NewDisposeScope();
            var flat = tensor(v, dtype: ScalarType.Float64).to(dtype).to(model.Device);
            var pieces = flat.split(sizes);
            var vectors = new Tensor[pieces.Length];
            for (int i = 0; i < pieces.Length; i++)
            {
                vectors[i] = pieces[i].reshape(parameters[i].shape);
            }

            var inputs = parameters.Cast<Tensor>().ToList();
            if (cachedGradient is not null)
            {
                Accumulate(result, torch.autograd.grad([Contract(cachedGradient, vectors)], inputs, retain_graph: true));
                return result;
            }

            foreach (var batch in batches)
            {
                using var batchScope = NewDisposeScope();
                var gradient = FirstOrderGraph(batch);
                Accumulate(result, torch.autograd.grad([Contract(gradient, vectors)], inputs));
            }

            return result;
        }

        /// <summary>∇J of one batch with its graph (create_graph), for double back-propagation.</summary>
        private Tensor[] FirstOrderGraph((Tensor Inputs, Tensor Labels, long Seed) batch)
        {
            var (r, d, c) = Terms(batch.Inputs, batch.Labels, batch.Seed);
            var j = r + (d * multipliers.Lambda) + (c * multipliers.Gamma) + Tie();
            return [.. torch.autograd.grad([j], parameters.Cast<Tensor>().ToList(), retain_graph: true, create_graph: true)];
        }

        /// <summary>Σ_i ⟨g_i, v_i⟩ plus a zero tie to every parameter, so no parameter is "unused".</summary>
        private Tensor Contract(Tensor[] gradient, Tensor[] vectors)
        {
            var dot = Tie();
            for (int i = 0; i < gradient.Length; i++)
            {
                dot = dot + (gradient[i] * vectors[i]).sum();
            }

            return dot;
        }

        /// <summary>0·Σ_p Σ p: adds nothing but makes every parameter part of the graph, so autograd.grad never sees an unused input.</summary>
        private Tensor Tie()
        {
            Tensor? tie = null;
            foreach (var p in parameters)
            {
                var term = p.sum() * 0.0;
                tie = tie is null ? term : tie + term;
            }

            return tie!;
        }

        /// <summary>The batch's contributions to R, D and C (sums over the batch divided by the total count).</summary>
        private (Tensor R, Tensor D, Tensor C) Terms(Tensor x, Tensor y, long seed)
        {
            using var noise = new Generator(unchecked((ulong)seed));
            var terms = model.ForwardTrusted(x, y, noise);
            return (terms.Rate.sum() / count, terms.Distortion.mean([0]).sum() / count, terms.Classification.mean([0]).sum() / count);
        }

        private static void Accumulate(double[] target, IList<Tensor> gradients)
        {
            using var scope = NewDisposeScope();
            var flat = cat(gradients.Select(g => g.detach().reshape(-1)).ToList(), 0).to(ScalarType.Float64).cpu();
            var values = flat.data<double>();
            for (int i = 0; i < target.Length; i++)
            {
                target[i] += values[i];
            }
        }

        private static void RequireFinite(double[] values, string name)
        {
            if (values.Any(v => !double.IsFinite(v)))
            {
                throw new InvalidOperationException($"{name} is not finite at these weights: the model is not at a usable equilibrium.");
            }
        }
    }
}
