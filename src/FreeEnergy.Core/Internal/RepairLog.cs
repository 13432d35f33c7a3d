using FreeEnergy.Core.Identities;
using Microsoft.Extensions.Logging;

namespace FreeEnergy.Core.Internal;

/// <summary>The log messages of the certificate's repair loop (event ids 500–519).</summary>
internal static partial class RepairLog
{
    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Repair round {Round}: re-relaxed point {Index} (λ = {Lambda}, γ = {Gamma}) from point {From}: F {Before:F4} → {After:F4} nats after {Epochs} epochs in {Seconds:F1} s; {Outcome}")]
    public static partial void Attempt(ILogger logger, int round, int index, double lambda, double gamma, int from, double before, double after, int epochs, double seconds, string outcome);

    [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "Repair round {Round}: {Flagged} failed point(s), {Accepted} of {Attempts} re-relaxations kept; certificate now {Outcome}, {Significant} significant violation(s), largest {Largest:F4} nats")]
    public static partial void Round(ILogger logger, int round, int flagged, int accepted, int attempts, CertificateOutcome outcome, int significant, double largest);

    [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "Repair stopped ({Reason}) after {Rounds} round(s), {Points} re-relaxation(s), {Seconds:F1} s")]
    public static partial void Stopped(ILogger logger, FreeEnergy.Core.Surface.RepairStop reason, int rounds, int points, double seconds);
}
