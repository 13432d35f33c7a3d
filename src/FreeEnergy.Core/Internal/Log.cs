using Microsoft.Extensions.Logging;

namespace FreeEnergy.Core.Internal;

/// <summary>Every log message of the library, defined once with stable event ids.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Built {Architecture} model with {Parameters} parameters, latent size {Latent}, K = {Samples}, on {Device}")]
    public static partial void ModelBuilt(ILogger logger, FreeEnergy.Core.Models.EncoderArchitecture architecture, long parameters, int latent, int samples, string device);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Epoch {Epoch}/{MaxEpochs} at λ = {Lambda}, γ = {Gamma}: J = {Objective:F4} (R = {Rate:F4}, D = {Distortion:F4}, C = {Classification:F4}, accuracy {Accuracy:P1}) in {Seconds:F2} s")]
    public static partial void EpochFinished(ILogger logger, int epoch, int maxEpochs, double lambda, double gamma, double objective, double rate, double distortion, double classification, double accuracy, double seconds);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Converged after {Epochs} epochs at λ = {Lambda}, γ = {Gamma}: relative change of J {Change:E2} over {Window} epochs")]
    public static partial void Converged(ILogger logger, int epochs, double lambda, double gamma, double change, int window);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Stopped at the maximum of {Epochs} epochs at λ = {Lambda}, γ = {Gamma} without meeting the convergence rule")]
    public static partial void NotConverged(ILogger logger, int epochs, double lambda, double gamma);

    [LoggerMessage(EventId = 13, Level = LogLevel.Debug, Message = "Step {Step} of epoch {Epoch}: J = {Objective:F4}")]
    public static partial void StepFinished(ILogger logger, int epoch, long step, double objective);

    [LoggerMessage(EventId = 14, Level = LogLevel.Error, Message = "Training diverged at epoch {Epoch}, step {Step}, λ = {Lambda}, γ = {Gamma}: the loss was {Loss}")]
    public static partial void Diverged(ILogger logger, int epoch, long step, double lambda, double gamma, double loss);

    [LoggerMessage(EventId = 15, Level = LogLevel.Information, Message = "Training cancelled after epoch {Epoch}, step {Step}; the model holds the weights of the last finished step")]
    public static partial void Cancelled(ILogger logger, int epoch, long step);

    [LoggerMessage(EventId = 16, Level = LogLevel.Information, Message = "Relaxation tail from epoch {Epoch} at λ = {Lambda}, γ = {Gamma}: {Cooldown} epochs of cooldown, {Polish} of polish (plateau reached: {Plateau})")]
    public static partial void RelaxationTail(ILogger logger, int epoch, double lambda, double gamma, int cooldown, int polish, bool plateau);

    [LoggerMessage(EventId = 17, Level = LogLevel.Information, Message = "Epoch {Epoch}/{MaxEpochs} at fixed {Held}: held-out {Value:F5} (target {Target:F5}, drift {Drift:P2}) at λ = {Lambda:G5}, γ = {Gamma:G5}")]
    public static partial void ConstrainedEpoch(ILogger logger, int epoch, int maxEpochs, FreeEnergy.Core.Processes.HeldQuantity held, double value, double target, double drift, double lambda, double gamma);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Sweep point {Completed}/{Total} at λ = {Lambda}, γ = {Gamma}: R = {Rate:F4}, D = {Distortion:F4}, C = {Classification:F4} after {Epochs} epochs in {Seconds:F1} s (worker {Worker})")]
    public static partial void SweepPointFinished(ILogger logger, int completed, int total, double lambda, double gamma, double rate, double distortion, double classification, int epochs, double seconds, int worker);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Sweep point {Index} at λ = {Lambda}, γ = {Gamma} diverged at epoch {Epoch}, step {Step} (worker {Worker}): recorded as diverged (no functionals, no checkpoint); the sweep {Next}")]
    public static partial void SweepPointDiverged(ILogger logger, int index, double lambda, double gamma, int epoch, long step, int worker, string next);
}
