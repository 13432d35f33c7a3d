using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Internal;

/// <summary>
/// Adam with TorchSharp's update, operation for operation (so the same numbers to the last bit: bias-corrected
/// moments, ε = 1e-8 added to √v̂, no weight decay, no AMSGrad), but with every native scalar and temporary
/// disposed at once. TorchSharp 0.107's <c>optim.Adam.step</c> converts its doubles to native scalars implicitly
/// and never disposes them; measured (benchmarks, <c>dispose-loop</c>), those undisposed scalars keep the
/// step's parameter-sized temporaries alive until the garbage collector runs its finalizers: about 4 MB per step
/// for the default MLP, 24 to 60 MB per epoch, which only a <c>GC.Collect</c> gave back.
/// </summary>
/// <remarks>
/// On the CPU, float32 parameters are updated by <see cref="FusedAdamKernel"/>: the same float operations in one pass
/// over the memory instead of nine kernels and two temporaries (bit-identical; issue 14). Other devices and dtypes
/// take the tensor path below.
/// </remarks>
internal sealed class LeanAdam : IDisposable
{
    private const double Epsilon = 1e-8;
    private readonly double beta1;
    private readonly double beta2;
    private readonly Group[] groups;
    private bool disposed;

    /// <summary>One optimizer over parameter groups, each with its own learning rate.</summary>
    public LeanAdam(IEnumerable<(IEnumerable<Parameter> Parameters, double LearningRate)> parameterGroups, double beta1, double beta2)
    {
        (this.beta1, this.beta2) = (beta1, beta2);
        using var noGrad = no_grad();
        groups = [.. parameterGroups.Select(g => new Group(g.Parameters, g.LearningRate))];
    }

    /// <summary>The learning rates of the groups, in order.</summary>
    public int GroupCount => groups.Length;

    /// <summary>Sets the learning rate of group <paramref name="index"/>.</summary>
    public void SetLearningRate(int index, double learningRate) => groups[index].LearningRate = learningRate;

    /// <summary>Zeroes the gradients in place (as TorchSharp's optimizers do).</summary>
    public void ZeroGrad()
    {
        foreach (var group in groups)
        {
            foreach (var p in group.Parameters)
            {
                using var grad = p.grad;
                grad?.zero_();
            }
        }
    }

    /// <summary>One Adam update of every parameter that has a gradient.</summary>
    public void Step()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using var noGrad = no_grad();
        using var b1 = beta1.ToScalar();
        using var oneMinusB1 = (1 - beta1).ToScalar();
        using var b2 = beta2.ToScalar();
        using var oneMinusB2 = (1 - beta2).ToScalar();
        using var epsilon = Epsilon.ToScalar();
        foreach (var group in groups)
        {
            for (int i = 0; i < group.Parameters.Length; i++)
            {
                var p = group.Parameters[i];
                using var grad = p.grad;
                if (grad is null)
                {
                    continue;
                }

                long step = ++group.Steps[i];
                var expAvg = group.ExpAvg[i];
                var expAvgSq = group.ExpAvgSq[i];
                if (FusedAdamKernel.Applies(p, grad, expAvg, expAvgSq))
                {
                    FusedAdamKernel.Update(p, grad, expAvg, expAvgSq, FusedAdamKernel.Constants.Of(beta1, beta2, Epsilon, group.LearningRate, step));
                    continue;
                }

                double biasCorrection1 = 1 - Math.Pow(beta1, step);
                double biasCorrection2 = 1 - Math.Pow(beta2, step);
                expAvg.mul_(b1).add_(grad, alpha: oneMinusB1);
                using (var conjugate = grad.conj())
                {
                    expAvgSq.mul_(b2).addcmul_(grad, conjugate, value: oneMinusB2);
                }

                using var root = Math.Sqrt(biasCorrection2).ToScalar();
                using var sqrt = expAvgSq.sqrt();
                using var denominator = sqrt.div(root);
                denominator.PlusInPlace(epsilon);
                using var stepSize = (-(group.LearningRate / biasCorrection1)).ToScalar();
                p.addcdiv_(expAvg, denominator, value: stepSize);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        foreach (var group in groups)
        {
            group.Dispose();
        }
    }

    private sealed class Group : IDisposable
    {
        public Group(IEnumerable<Parameter> parameters, double learningRate)
        {
            Parameters = [.. parameters];
            LearningRate = learningRate;
            Steps = new long[Parameters.Length];
            ExpAvg = [.. Parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
            ExpAvgSq = [.. Parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        }

        public Parameter[] Parameters { get; }

        public double LearningRate { get; set; }

        public long[] Steps { get; }

        public Tensor[] ExpAvg { get; }

        public Tensor[] ExpAvgSq { get; }

        public void Dispose()
        {
            foreach (var t in ExpAvg.Concat(ExpAvgSq))
            {
                t.Dispose();
            }
        }
    }
}
