using FreeEnergy.Core.Identities;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Surface;
using FreeEnergy.Core.Tests.Surface;
using Xunit.Abstractions;

namespace FreeEnergy.Core.Tests.Identities;

public sealed class EquilibriumCertificateTests(ITestOutputHelper output) : IDisposable
{
    // λ < 1: for λ ≥ 1 the oracle continued from λ < 1 can stop on a branch that is not the minimum, which
    // the certificate then reports (see ContinuingTheOracleAcrossLambdaOneIsCaughtByTheCertificate).
    private static readonly double[] Lambdas = [0.3, 0.5, 0.7, 0.9];
    private static readonly double[] Gammas = [0.0, 0.5, 2.0];

    private readonly string directory = Directory.CreateTempSubdirectory("fe-certificate-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static List<SurfaceRecord> OracleRecords(IEnumerable<(double Lambda, double Gamma)> points) => OracleSurfaces.Records(points);

    private static List<SurfaceRecord> OracleGrid() => OracleSurfaces.Grid(Lambdas, Gammas);

    [Fact]
    public void AnExactSurfacePassesWithResidualsAtNumericalPrecision()
    {
        var certificate = new EquilibriumSurface(OracleGrid()).Certify();
        double worst = certificate.Inequalities.Max(i => i.Size);
        output.WriteLine($"{certificate}; worst signed residual {worst:E2} nats");

        Assert.Equal(CertificateOutcome.Passed, certificate.Outcome);
        Assert.All(certificate.Points, p => Assert.Equal(PointStatus.Pass, p.Status));
        Assert.Empty(certificate.Violations);
        Assert.True(worst < 1e-9, $"worst residual {worst:E3}"); // the inequalities hold; at worst equality to rounding
        Assert.Equal(3 * 4 * 3, certificate.Checked[CertificateKind.ChordLambda]); // every ordered pair of 4 λ, 3 rows
        Assert.Equal(4 * 3 * 2, certificate.Checked[CertificateKind.ChordGamma]);
        Assert.Equal(4 * 2 * 3, certificate.Checked[CertificateKind.Envelope]); // each γ = 0 point against the γ > 0 points at the other 3 λ
        Assert.Equal(3 * 6, certificate.Checked[CertificateKind.DistortionMonotone]);
        Assert.Equal(4 * 3, certificate.Checked[CertificateKind.ClassificationMonotone]);
        Assert.Empty(certificate.NotApplicable);
    }

    [Fact]
    public void APointWhoseFreeEnergyIsRaisedIsFlaggedAndNoOther()
    {
        var records = OracleGrid();
        int target = records.FindIndex(r => r.Lambda == 0.5 && r.Gamma == 0.5);

        // Raise R (so F) at one point by just more than its smallest slack against any other point.
        var clean = new EquilibriumSurface(records).Certify();
        double slack = -clean.Inequalities.Where(i => i.Blames && i.Point == target).Max(i => i.Size);
        double delta = slack + 0.01;
        records[target] = records[target] with { Rate = records[target].Rate + delta };

        var certificate = new EquilibriumSurface(records).Certify();
        output.WriteLine($"slack {slack:G4}, raised by {delta:G4}: {certificate}");

        Assert.Equal(CertificateOutcome.Failed, certificate.Outcome);
        Assert.Equal([target], certificate.FailedPoints);
        Assert.All(certificate.Points.Where(p => p.Index != target), p => Assert.Equal(PointStatus.Pass, p.Status));
        var verdict = certificate.Points.Single(p => p.Index == target);
        Assert.Equal(0.01, verdict.WorstViolation, 9);
        Assert.All(certificate.SignificantViolations, v => Assert.Equal(target, v.Point));
    }

    [Fact]
    public void AViolationWithinTheStandardErrorIsNotAFailure()
    {
        var statistics = new FunctionalStatistics(1, 2, 3, 0.5, 100, RateVariance: 400, DistortionVariance: 0, ClassificationVariance: 0, 0, 0, 0);
        Assert.Equal(2.0, statistics.StandardError(1, 0, 0), 12); // √(400/100)

        // q at λ = 1: F = 15; p at λ = 2: F = 20.5, while q's model gives 10 + 2·5 = 20 there (and p's gives 16.5 ≥ 15 at λ = 1).
        var q = new CertificatePoint(0, 1, 0, 10, 5, 0) { Statistics = statistics };
        var p = new CertificatePoint(1, 2, 0, 12.5, 4, 0) { Statistics = statistics };
        var certificate = IdentityCheck.Certify([q, p]);
        var violation = Assert.Single(certificate.Violations);
        Assert.Equal(CertificateKind.ChordLambda, violation.Kind);
        Assert.Equal(0.5, violation.Size, 12);
        Assert.Equal(Math.Sqrt(8), violation.StandardError!.Value, 12);
        Assert.False(violation.Significant);
        Assert.Equal(PointStatus.WithinUncertainty, certificate.Points.Single(v => v.Index == 1).Status);
        Assert.Equal(CertificateOutcome.Passed, certificate.Outcome);

        // Without measured uncertainty the same violation is significant.
        var bare = IdentityCheck.Certify([q with { Statistics = null }, p with { Statistics = null }]);
        Assert.Equal(CertificateOutcome.Failed, bare.Outcome);
        Assert.Equal([1], bare.FailedPoints);
    }

    [Fact]
    public void ANonGridSurfaceRunsTheEnvelopeAndReportsTheChordsNotApplicable()
    {
        var certificate = new EquilibriumSurface(OracleRecords([(0.5, 0.0), (0.9, 0.7), (1.3, 2.0)])).Certify();

        Assert.Equal(2, certificate.Checked[CertificateKind.Envelope]);
        Assert.Equal(
            [CertificateKind.ChordLambda, CertificateKind.ChordGamma, CertificateKind.DistortionMonotone, CertificateKind.ClassificationMonotone],
            certificate.NotApplicable);
        Assert.Equal(CertificateOutcome.Passed, certificate.Outcome);
        Assert.All(certificate.Points, p => Assert.Equal(PointStatus.Pass, p.Status)); // each point is in an envelope pair
    }

    [Fact]
    public void ASurfaceOfOnePointHasNothingApplicable()
    {
        var certificate = new EquilibriumSurface(OracleRecords([(1.0, 1.0)])).Certify();

        Assert.Equal(CertificateOutcome.NotApplicable, certificate.Outcome);
        Assert.Empty(certificate.Inequalities);
        Assert.Equal(PointStatus.NotApplicable, Assert.Single(certificate.Points).Status);
        Assert.Equal(Enum.GetValues<CertificateKind>(), certificate.NotApplicable);
    }

    [Fact]
    public void ANaNPointIsMarkedInvalidAndTheRestAreStillChecked()
    {
        var records = OracleGrid();
        records[5] = records[5] with { Distortion = double.NaN };

        var certificate = new EquilibriumSurface(records).Certify();

        var invalid = certificate.Points.Single(p => p.Index == 5);
        Assert.Equal(PointStatus.Invalid, invalid.Status);
        Assert.Contains("not finite", invalid.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(certificate.Inequalities, i => i.Point == 5 || i.Partner == 5);
        Assert.Equal(CertificateOutcome.Passed, certificate.Outcome);
        Assert.Equal(3 * 4 * 3 - (2 * 3), certificate.Checked[CertificateKind.ChordLambda]);

        // Without training functionals the training certificate says so per point rather than throwing.
        var training = new EquilibriumSurface(OracleGrid()).Certify(CertificateData.Training);
        Assert.Equal(CertificateOutcome.NotApplicable, training.Outcome);
        Assert.All(training.Points, p => Assert.Equal(PointStatus.Invalid, p.Status));
    }

    [Fact]
    public void NaNFieldsInARecordsFileAreAnErrorThatNamesTheLine()
    {
        var records = OracleGrid().Take(3).ToList();
        string path = Path.Combine(directory, "surface.jsonl");
        new EquilibriumSurface(records).Save(path);
        var lines = File.ReadAllLines(path);
        Assert.Contains("\"rate\":", lines[1], StringComparison.Ordinal);

        // A NaN literal (not JSON) and a NaN written as a string in a version 2 field.
        File.WriteAllLines(path, [lines[0], System.Text.RegularExpressions.Regex.Replace(lines[1], "\"rate\":[^,]+", "\"rate\":NaN"), lines[2]]);
        var literal = Assert.Throws<InvalidDataException>(() => EquilibriumSurface.Load(path));
        Assert.Contains("line 2", literal.Message, StringComparison.Ordinal);

        string window = "\"window\":{\"objective\":[1,2],\"rate\":[1,\"NaN\"],\"distortion\":[1,1],\"classification\":[1,1]}";
        File.WriteAllLines(path, [lines[0], lines[1], lines[2].Replace("\"kind\"", window + ",\"kind\"", StringComparison.Ordinal)]);
        var inWindow = Assert.Throws<InvalidDataException>(() => EquilibriumSurface.Load(path));
        Assert.Contains("line 3", inWindow.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ContinuingTheOracleAcrossLambdaOneIsCaughtByTheCertificate()
    {
        // Continued along λ = 0.4 → 1.5, the oracle's fixed point at λ = 1.5 is not the minimum of J there.
        double[] lambdas = [0.4, 0.6, 0.8, 1.5];
        var continued = OracleRecords(Gammas.SelectMany(g => lambdas.Select(l => (l, g))));
        var certificate = new EquilibriumSurface(continued).Certify();
        output.WriteLine(certificate.ToString());
        Assert.Equal(CertificateOutcome.Failed, certificate.Outcome);
        Assert.All(certificate.FailedPoints, i => Assert.Equal(1.5, continued[i].Lambda));
    }

    [Fact]
    public void APairedStandardErrorIsThatOfThePerExampleDifference()
    {
        // Two models whose per-example rates differ by a constant 0.5 plus ±0.1: the paired SE sees only the ±0.1.
        double[] baseRate = [1, 5, 9, 13];
        double[] noise = [0.1, -0.1, 0.1, -0.1];
        var a = new Internal.PerExampleTerms(baseRate, [0, 0, 0, 0], [0, 0, 0, 0]);
        var b = new Internal.PerExampleTerms([.. baseRate.Select((r, i) => r + 0.5 + noise[i])], [0, 0, 0, 0], [0, 0, 0, 0]);
        double expected = Math.Sqrt(noise.Sum(x => x * x) / 3 / 4); // sample SD of the differences over √n
        Assert.Equal(expected, b.PairedStandardError(a, 1, 0, 0), 12);
        Assert.Equal(2 * expected, b.PairedStandardError(a, 2, 0, 0), 12);
    }
}
