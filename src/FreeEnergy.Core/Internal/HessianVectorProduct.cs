using FreeEnergy.Core.Data;
using FreeEnergy.Core.Derivatives;
using FreeEnergy.Core.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Internal;

/// <summary>
/// J = R + λD + γC (per example, mean over the examples) with fixed z-noise, its gradients and its
/// Hessian-vector products, for the trainable parameters of one model (the torch side of
/// <see cref="ImplicitDerivativeEstimator"/>; the solves are <see cref="DampedConjugateGradient"/>). Tensors it keeps
/// live in the caller's dispose scope.
/// </summary>
internal sealed class HessianVectorProduct
{
    private readonly RateDistortionModel model;
    private readonly Multipliers multipliers;
    private readonly List<Parameter> parameters;
    private readonly long[] sizes;
    private readonly List<(Tensor Inputs, Tensor Labels, long Seed)> batches = [];
    private readonly double count;
    private readonly ScalarType dtype;
    private Tensor[]? cachedGradient;

    public HessianVectorProduct(RateDistortionModel model, LabeledTensorDataset data, Multipliers multipliers, int batchSize, int replicas, long noiseSeed)
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
            Accumulate(gradientD, torch.autograd.grad([d.Plus(tie)], parameters.Cast<Tensor>().ToList(), retain_graph: true));
            Accumulate(gradientC, torch.autograd.grad([c.Plus(tie)], parameters.Cast<Tensor>().ToList(), retain_graph: true));
            Accumulate(gradientR, torch.autograd.grad([r.Plus(tie)], parameters.Cast<Tensor>().ToList()));
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
        var j = r.Plus(d.Times(multipliers.Lambda)).Plus(c.Times(multipliers.Gamma)).Plus(Tie());
        return [.. torch.autograd.grad([j], parameters.Cast<Tensor>().ToList(), retain_graph: true, create_graph: true)];
    }

    /// <summary>Σ_i ⟨g_i, v_i⟩ plus a zero tie to every parameter, so no parameter is "unused".</summary>
    private Tensor Contract(Tensor[] gradient, Tensor[] vectors)
    {
        var dot = Tie();
        for (int i = 0; i < gradient.Length; i++)
        {
            dot = dot.Plus((gradient[i] * vectors[i]).sum());
        }

        return dot;
    }

    /// <summary>0·Σ_p Σ p: adds nothing but makes every parameter part of the graph, so autograd.grad never sees an unused input.</summary>
    private Tensor Tie()
    {
        Tensor? tie = null;
        foreach (var p in parameters)
        {
            var term = p.sum().Times(0.0);
            tie = tie is null ? term : tie.Plus(term);
        }

        return tie!;
    }

    /// <summary>The batch's contributions to R, D and C (sums over the batch divided by the total count).</summary>
    private (Tensor R, Tensor D, Tensor C) Terms(Tensor x, Tensor y, long seed)
    {
        using var noise = new Generator(unchecked((ulong)seed));
        var terms = model.ForwardTrusted(x, y, noise);
        return (terms.Rate.sum().Over(count), terms.Distortion.mean([0]).sum().Over(count), terms.Classification.mean([0]).sum().Over(count));
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
