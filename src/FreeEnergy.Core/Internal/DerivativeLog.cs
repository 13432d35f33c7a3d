using Microsoft.Extensions.Logging;

namespace FreeEnergy.Core.Internal;

/// <summary>The log messages of the derivative estimators (event ids 400–419).</summary>
internal static partial class DerivativeLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Implicit derivatives at λ = {Lambda}, γ = {Gamma}: {Examples} examples, {Parameters} parameters, damping {Damping}, |∇J| = {GradientNorm:E2}, Ritz values of H in [{SmallestRitz:E3}, {LargestRitz:E3}], {Seconds:F2} s")]
    public static partial void ImplicitFinished(ILogger logger, double lambda, double gamma, long examples, long parameters, double damping, double gradientNorm, double smallestRitz, double largestRitz, double seconds);

    [LoggerMessage(EventId = 401, Level = LogLevel.Debug, Message = "Conjugate gradient for (H + {Damping}·I)⁻¹∇{Target}: {Iterations} iterations, relative residual {Residual:E2}, converged {Converged}, negative curvature {NegativeCurvature}")]
    public static partial void ConjugateGradientFinished(ILogger logger, string target, double damping, int iterations, double residual, bool converged, bool negativeCurvature);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "Conjugate gradient for (H + {Damping}·I)⁻¹∇{Target} stopped after {Iterations} iterations with relative residual {Residual:E2} (tolerance {Tolerance:E2}); negative curvature: {NegativeCurvature}. Raise the damping or the iteration limit, or train closer to equilibrium")]
    public static partial void ConjugateGradientNotConverged(ILogger logger, string target, double damping, int iterations, double residual, double tolerance, bool negativeCurvature);

    [LoggerMessage(EventId = 403, Level = LogLevel.Information, Message = "H + {Damping}·I is not positive definite (curvature {Curvature:E3} met); damping raised to {Raised} and the solves restarted")]
    public static partial void DampingRaised(ILogger logger, double damping, double raised, double curvature);

    [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "γ = 0 with more than one class: J does not depend on the classifier, so H is singular in its block and the implicit C_λ, C_γ are set by the damping; estimate them at γ > 0")]
    public static partial void ClassifierNotPinned(ILogger logger);

    [LoggerMessage(EventId = 410, Level = LogLevel.Information, Message = "Finite-difference relaxation at λ = {Lambda}, γ = {Gamma}: {Epochs} epochs, converged {Converged}, D = {Distortion:F6}, C = {Classification:F6}")]
    public static partial void RelaxationFinished(ILogger logger, double lambda, double gamma, int epochs, bool converged, double distortion, double classification);

    [LoggerMessage(EventId = 411, Level = LogLevel.Warning, Message = "Finite-difference relaxation at λ = {Lambda}, γ = {Gamma} stopped after {Epochs} epochs without meeting the convergence rule; the derivative may be biased")]
    public static partial void RelaxationNotConverged(ILogger logger, double lambda, double gamma, int epochs);

    [LoggerMessage(EventId = 412, Level = LogLevel.Information, Message = "Finite-difference derivatives at λ = {Lambda}, γ = {Gamma} (h_λ = {LambdaStep}, h_γ = {GammaStep}, one-sided in γ: {OneSided}): {Derivatives} in {Seconds:F2} s")]
    public static partial void FiniteDifferenceFinished(ILogger logger, double lambda, double gamma, double lambdaStep, double gammaStep, bool oneSided, string derivatives, double seconds);
}
