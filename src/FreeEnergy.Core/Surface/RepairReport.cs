using FreeEnergy.Core.Identities;

namespace FreeEnergy.Core.Surface;

/// <summary>The outcome of <see cref="SurfaceSweep.Repair"/>.</summary>
/// <param name="Data">The functionals certified and compared (training data when the records have them).</param>
/// <param name="Before">The certificate before the first round.</param>
/// <param name="After">The certificate after the last round.</param>
/// <param name="Rounds">Every round, in order.</param>
/// <param name="Stop">Why it stopped.</param>
/// <param name="Surface">The surface after the repair (as written to the records file).</param>
/// <param name="Elapsed">Wall-clock time.</param>
public sealed record RepairReport(CertificateData Data, EquilibriumCertificate Before, EquilibriumCertificate After, IReadOnlyList<RepairRound> Rounds, RepairStop Stop, EquilibriumSurface Surface, TimeSpan Elapsed)
{
    /// <summary>All re-relaxations, in order.</summary>
    public IReadOnlyList<RepairAttempt> Attempts => [.. Rounds.SelectMany(r => r.Attempts)];

    /// <summary>Epochs trained by the repair.</summary>
    public int Epochs => Attempts.Sum(a => a.Epochs);
}
