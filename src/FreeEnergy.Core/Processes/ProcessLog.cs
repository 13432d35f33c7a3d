using Microsoft.Extensions.Logging;

namespace FreeEnergy.Core.Processes;

/// <summary>The log messages of quasi-static processes (event ids 30–49).</summary>
internal static partial class ProcessLog
{
    // Mix is ", r = <value>" for a transfer step and empty otherwise (see MixText).
    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "{Kind} step {Step}/{Steps} at λ = {Lambda}, γ = {Gamma}{Mix}: R = {Rate:F4}, D = {Distortion:F4}, C = {Classification:F4}, drift {Drift:P2} after {Corrections} corrections, {Epochs} epochs in {Seconds:F1} s")]
    public static partial void StepFinished(ILogger logger, ProcessKind kind, int step, int steps, double lambda, double gamma, string mix, double rate, double distortion, double classification, double drift, int corrections, int epochs, double seconds);

    [LoggerMessage(EventId = 31, Level = LogLevel.Debug, Message = "{Kind} step {Step}, correction {Correction}: {Held} = {Value:F5} (target {Target:F5}), free multiplier {From} → {To} by {Method}")]
    public static partial void Correction(ILogger logger, ProcessKind kind, int step, int correction, HeldQuantity held, double value, double target, double from, double to, string method);

    [LoggerMessage(EventId = 32, Level = LogLevel.Warning, Message = "{Kind} step {Step}: could not hold {Held} within {Tolerance:P2} (drift {Drift:P2}) after {Corrections} corrections")]
    public static partial void NotHeld(ILogger logger, ProcessKind kind, int step, HeldQuantity held, double tolerance, double drift, int corrections);

    [LoggerMessage(EventId = 33, Level = LogLevel.Warning, Message = "Authors' controller step {Step}: stopped at the cap of {Passes} passes with C = {Classification:F4} ≥ C₀ = {Target:F4}")]
    public static partial void ControllerCapHit(ILogger logger, int step, int passes, double classification, double target);

    [LoggerMessage(EventId = 34, Level = LogLevel.Information, Message = "{Kind} finished: {Steps} steps, {Failed} not held, largest drift {Drift:P2}, W = {Work:F4}, ΔF = {FreeEnergyChange:F4}, {Epochs} epochs")]
    public static partial void Finished(ILogger logger, ProcessKind kind, int steps, int failed, double drift, double work, double freeEnergyChange, int epochs);

    [LoggerMessage(EventId = 35, Level = LogLevel.Warning, Message = "{Kind} stopped at step {Step}: the constraint was not held and the process stops on failure")]
    public static partial void StoppedOnFailure(ILogger logger, ProcessKind kind, int step);

    [LoggerMessage(EventId = 36, Level = LogLevel.Warning, Message = "{Kind} step {Step}: the held-out drift {Drift:P2} did not settle within the tolerance; rolled back to the last accepted checkpoint and halved the step (halving {Halving})")]
    public static partial void RolledBack(ILogger logger, ProcessKind kind, int step, double drift, int halving);

    [LoggerMessage(EventId = 37, Level = LogLevel.Debug, Message = "{Kind} step {Step} {Phase} check at epoch {Epoch:F2}: λ = {Lambda:G5}, γ = {Gamma:G5}, held-out {Value:F5} (drift {Drift:P2}), training set point {SetPoint:F5}")]
    public static partial void Check(ILogger logger, ProcessKind kind, int step, string phase, double epoch, double lambda, double gamma, double value, double drift, double setPoint);

    /// <summary>The task ratio as it appears in <see cref="StepFinished"/>: ", r = 0.5", or nothing outside a transfer.</summary>
    public static string MixText(double? mix) => mix is double r ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $", r = {r:G4}") : string.Empty;
}
