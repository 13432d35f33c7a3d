namespace FreeEnergy.Core.Models;

/// <summary>The prior (marginal) m(z) against which the rate is measured.</summary>
public enum PriorKind
{
    /// <summary>N(0, I); the rate is the analytic KL divergence.</summary>
    StandardNormal = 0,

    /// <summary>A learnable mixture of diagonal Gaussians; the rate is a Monte-Carlo estimate over the K samples.</summary>
    GaussianMixture = 1,
}
