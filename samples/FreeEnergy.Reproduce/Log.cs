using Microsoft.Extensions.Logging;

namespace FreeEnergy.Reproduce;

/// <summary>The program's log messages (source-generated).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Data: {Source}, {Training} training and {Evaluation} evaluation images; model {Model} on {Device}, K = 2, seed {Seed}{Quick}.")]
    public static partial void Data(ILogger logger, string source, long training, long evaluation, string model, string device, int seed, string quick);

    [LoggerMessage(2, LogLevel.Information, "Surface: λ ∈ {{{Lambdas}}} × γ ∈ {{{Gammas}}}, at most {Epochs} epochs per point, into {Path}.")]
    public static partial void SurfaceStart(ILogger logger, string lambdas, string gammas, int epochs, string path);

    [LoggerMessage(43, LogLevel.Information, "Surface: every chain starts from one model relaxed at {Start}: F = {FreeEnergy:F2} nats after {Epochs} epochs ({How}), kept in {Path}.")]
    public static partial void SharedStart(ILogger logger, string start, double freeEnergy, int epochs, string how, string path);

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

    [LoggerMessage(10, LogLevel.Information, "Transfer, authors' controller: from the same source equilibrium, r 0 → 1 in {Steps} steps, {EpochsPerPass} epochs per pass, at most {MaxPasses} passes per step (λ → {LambdaMin:G3} and γ += {GammaIncrement:G3} per extra pass while C ≥ C₀), into {Path}.")]
    public static partial void AuthorsStart(ILogger logger, int steps, int epochsPerPass, int maxPasses, double lambdaMin, double gammaIncrement, string path);

    [LoggerMessage(11, LogLevel.Information, "Transfer, authors' controller: C₀ = {Target:F4} nats, C < C₀ reached at {Held} of {Steps} steps (pass cap hit at [{Failed}]); final C = {Classification:F4} nats (drift {Drift:P2}), target accuracy {TargetAccuracy:P1}, source accuracy {SourceAccuracy:P1}, (λ, γ) = ({Lambda:F3}, {Gamma:F3}); {Epochs} epochs.")]
    public static partial void AuthorsDone(ILogger logger, double? target, int held, int steps, string failed, double classification, double drift, double? targetAccuracy, double? sourceAccuracy, double lambda, double gamma, int epochs);

    [LoggerMessage(12, LogLevel.Information, "Transfer, fine-tuning: from the same source equilibrium, classes 5–9 only at (λ, γ) = ({Lambda:G3}, {Gamma:G3}) for {Epochs} epochs ({Why}), into {Path}.")]
    public static partial void FineTuneStart(ILogger logger, double lambda, double gamma, int epochs, string why, string path);

    [LoggerMessage(13, LogLevel.Information, "Transfer, fine-tuning: final C = {Classification:F4} nats (drift {Drift:P2} from C₀ = {Target:F4}), target accuracy {TargetAccuracy:P1}, source accuracy {SourceAccuracy:P1}; {Epochs} epochs.")]
    public static partial void FineTuneDone(ILogger logger, double classification, double drift, double? target, double? targetAccuracy, double? sourceAccuracy, int epochs);

    [LoggerMessage(14, LogLevel.Information, "Transfer compared (target accuracy, final C, epochs): constant C {ConstantAccuracy:P1}, {ConstantC:F4} nats, {ConstantEpochs}; authors' controller {AuthorsAccuracy:P1}, {AuthorsC:F4} nats, {AuthorsEpochs}; fine-tuning {FineTuneAccuracy:P1}, {FineTuneC:F4} nats, {FineTuneEpochs}.")]
    public static partial void TransferComparison(ILogger logger, double? constantAccuracy, double constantC, int constantEpochs, double? authorsAccuracy, double authorsC, int authorsEpochs, double? fineTuneAccuracy, double fineTuneC, int fineTuneEpochs);

    [LoggerMessage(15, LogLevel.Information, "Transfer at equal compute (training images seen): constant C {Images} images in {Steps} steps, target accuracy {TargetAccuracy:P1}, source accuracy {SourceAccuracy:P1}, C {Classification:F4} nats; fine-tuning {FineTuneImages} images ({FineTuneEpochs} epochs), target accuracy {FineTuneAccuracy:P1}, source accuracy {FineTuneSourceAccuracy:P1}, C {FineTuneC:F4} nats; authors' controller {AuthorsImages} images, target accuracy {AuthorsAccuracy:P1}.")]
    public static partial void TransferEqualCompute(ILogger logger, long images, long steps, double? targetAccuracy, double? sourceAccuracy, double classification, long fineTuneImages, int fineTuneEpochs, double? fineTuneAccuracy, double? fineTuneSourceAccuracy, double fineTuneC, long authorsImages, double? authorsAccuracy);

    [LoggerMessage(9, LogLevel.Warning, "Cancelled: the finished points and steps are kept in {Directory}.")]
    public static partial void Cancelled(ILogger logger, string directory);

    [LoggerMessage(40, LogLevel.Information, "Repair: {Failed} point(s) fail the certificate; at most {Rounds} round(s) and {Points} re-relaxation(s), each warm-started from the best weights on the point's grid lines.")]
    public static partial void RepairStart(ILogger logger, int failed, int rounds, int points);

    [LoggerMessage(41, LogLevel.Information, "Repair: stopped ({Stop}) after {Rounds} round(s); {Kept} of {Attempts} re-relaxation(s) kept, {Epochs} epochs in {Seconds:F1} s.")]
    public static partial void RepairDone(ILogger logger, string stop, int rounds, int attempts, int kept, int epochs, double seconds);

    [LoggerMessage(42, LogLevel.Information, "{Process}: end point trained on {Epochs} epochs at its fixed (λ, γ) = ({Lambda:F3}, {Gamma:F3}): held {Held} {Before:F4} → {After:F4} nats, a move of {Move:P1} of the goal {Goal:F4} (drift after {DriftAfter:P2}: {Verdict}), into {Path}.")]
    public static partial void Endpoint(ILogger logger, string process, int epochs, double lambda, double gamma, string held, double before, double after, double move, double goal, double driftAfter, string verdict, string path);
}
