using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Surface;

namespace FreeEnergy.Core.Identities;

/// <summary>
/// One point as an <see cref="EquilibriumCertificate"/> sees it: multipliers, functionals (nats per example;
/// NaN or infinite values mark the point invalid rather than throwing) and, when measured, the standard
/// errors over the examples and the drift over the convergence window.
/// </summary>
/// <param name="Index">The point's index (the plan index for a sweep's record).</param>
/// <param name="Lambda">λ.</param>
/// <param name="Gamma">γ.</param>
/// <param name="Rate">R.</param>
/// <param name="Distortion">D.</param>
/// <param name="Classification">C.</param>
public sealed record CertificatePoint(int Index, double Lambda, double Gamma, double Rate, double Distortion, double Classification)
{
    /// <summary>The covariance of the per-example terms on the same data (for standard errors), or null when not measured.</summary>
    public FunctionalStatistics? Statistics { get; init; }

    /// <summary>The last epochs of the training (for the drift), or null when not recorded.</summary>
    public ConvergenceWindow? Window { get; init; }

    /// <summary>The per-example terms on the certificate's data (same examples and z-noise for every point), for paired standard errors.</summary>
    internal PerExampleTerms? Terms { get; init; }

    /// <summary>Why the point cannot be checked (set by the caller, for example "no training-data functionals"), or null.</summary>
    public string? Problem { get; init; }

    /// <summary>F = R + λD + γC in nats.</summary>
    public double FreeEnergy => Objective(Lambda, Gamma);

    /// <summary>Whether the point can be checked: no <see cref="Problem"/>, valid multipliers, finite functionals and uncertainties.</summary>
    public bool IsValid => InvalidReason is null;

    /// <summary>Why the point is left out, or null when it is valid.</summary>
    public string? InvalidReason =>
        Problem
        ?? (!(double.IsFinite(Lambda) && Lambda > 0) || !(double.IsFinite(Gamma) && Gamma >= 0) ? "invalid multipliers"
        : !(double.IsFinite(Rate) && double.IsFinite(Distortion) && double.IsFinite(Classification)) ? "functionals not finite"
        : Statistics is { IsFinite: false } ? "standard errors not finite"
        : Window is { IsValid: false } ? "convergence window not finite"
        : null);

    /// <summary>J = R + λ'D + γ'C of this point's model at other multipliers, in nats.</summary>
    public double Objective(double lambda, double gamma) => Rate + (lambda * Distortion) + (gamma * Classification);
}
