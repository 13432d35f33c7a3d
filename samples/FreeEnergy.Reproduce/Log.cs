using Microsoft.Extensions.Logging;

namespace FreeEnergy.Reproduce;

/// <summary>The program's log messages (source-generated).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Data: {Source}, {Training} training and {Evaluation} evaluation images; model {Model}, K = 2, seed {Seed}{Quick}.")]
    public static partial void Data(ILogger logger, string source, long training, long evaluation, string model, int seed, string quick);

    [LoggerMessage(2, LogLevel.Information, "Surface: λ ∈ {{{Lambdas}}} × γ ∈ {{{Gammas}}}, at most {Epochs} epochs per point, into {Path}.")]
    public static partial void SurfaceStart(ILogger logger, string lambdas, string gammas, int epochs, string path);

    [LoggerMessage(3, LogLevel.Information, "Surface: {Count} points, {Epochs} epochs in total.")]
    public static partial void SurfaceDone(ILogger logger, int count, int epochs);

    [LoggerMessage(4, LogLevel.Information, "{Name}: equilibrium at {Start} after {Epochs} epochs (converged: {Converged}): R = {Rate:F3}, D = {Distortion:F3}, C = {Classification:F4} nats.")]
    public static partial void Equilibrium(ILogger logger, string name, string start, int epochs, bool converged, double rate, double distortion, double classification);

    [LoggerMessage(5, LogLevel.Information, "Iso-classification: λ 4 → 0.5 in {Steps} steps holding C (γ corrected), into {Path}.")]
    public static partial void IsoStart(ILogger logger, int steps, string path);

    [LoggerMessage(6, LogLevel.Information, "Iso-classification: target C* = {Target:F4} nats, largest |drift| {Drift:P2}, steps not held [{Failed}]; R {R0:F2} → {R1:F2}, D {D0:F2} → {D1:F2} nats; W = {Work:F3}, ΔF = {DeltaF:F3} nats.")]
    public static partial void IsoDone(ILogger logger, double? target, double drift, string failed, double r0, double r1, double d0, double d1, double work, double deltaF);

    [LoggerMessage(7, LogLevel.Information, "Transfer: classes 0–4 → 5–9 (shared 10-way head) at constant C, r 0 → 1 in {Steps} steps, λ = 2 fixed, into {Path}.")]
    public static partial void TransferStart(ILogger logger, int steps, string path);

    [LoggerMessage(8, LogLevel.Information, "Transfer: C₀ = {Target:F4} nats, largest |drift| {Drift:P2}, steps not held [{Failed}]; final target accuracy {TargetAccuracy:P1}, source accuracy {SourceAccuracy:P1}, (λ, γ) = ({Lambda:F3}, {Gamma:F3}); {Epochs} epochs.")]
    public static partial void TransferDone(ILogger logger, double? target, double drift, string failed, double? targetAccuracy, double? sourceAccuracy, double lambda, double gamma, int epochs);

    [LoggerMessage(9, LogLevel.Warning, "Cancelled: the finished points and steps are kept in {Directory}.")]
    public static partial void Cancelled(ILogger logger, string directory);
}
