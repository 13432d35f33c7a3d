using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Surface;

namespace FreeEnergy.Core.Tests.Surface;

/// <summary>
/// The records file format does not move with the code: a finished and a diverged record written now equal, byte
/// for byte, the lines the format wrote before SurfaceRecord was composed from Multipliers and Functionals (the
/// strings below were written by that code), and those lines read back to the same records.
/// </summary>
public sealed class SurfaceRecordFormatTests : IDisposable
{
    private const string FinishedLine =
        "{\"kind\":\"freeEnergy.surfacePoint\",\"version\":3,\"plan\":\"0123456789abcdef\",\"index\":3,\"chain\":1,\"position\":2,\"lambda\":0.75,\"gamma\":2.5,\"rate\":12.345678901234567,\"distortion\":101.25,\"classification\":0.30000000000000004,\"accuracy\":0.9375,\"freeEnergy\":89.03317890123456,\"training\":{\"rate\":12.5,\"distortion\":100.125,\"classification\":0.25,\"accuracy\":0.96875,\"count\":4096},\"evaluationStatistics\":{\"rate\":12.345678901234567,\"distortion\":101.25,\"classification\":0.30000000000000004,\"accuracy\":0.9375,\"count\":1024,\"rateVariance\":1.5,\"distortionVariance\":2.25,\"classificationVariance\":0.0625,\"rateDistortionCovariance\":-0.5,\"rateClassificationCovariance\":0.001,\"distortionClassificationCovariance\":-2E-17},\"trainingStatistics\":{\"rate\":12.5,\"distortion\":100.125,\"classification\":0.25,\"accuracy\":0.96875,\"count\":4096,\"rateVariance\":1.25,\"distortionVariance\":2,\"classificationVariance\":0.125,\"rateDistortionCovariance\":-0.25,\"rateClassificationCovariance\":0,\"distortionClassificationCovariance\":3.5E-300},\"window\":{\"objective\":[90.5,90.25,90.125],\"rate\":[12.5,12.25,12],\"distortion\":[100.5,100.25,100.125],\"classification\":[0.5,0.375,0.25]},\"repairs\":1,\"epochs\":42,\"converged\":true,\"seconds\":3.141592653589793,\"seed\":-7,\"warmStartFrom\":2,\"checkpoint\":\"models/point-0003.pt\"}";

    private const string DivergedLine =
        "{\"kind\":\"freeEnergy.surfacePoint\",\"version\":3,\"plan\":\"0123456789abcdef\",\"index\":4,\"chain\":1,\"position\":3,\"lambda\":0.5,\"gamma\":2.5,\"seconds\":0.5,\"seed\":11,\"warmStartFrom\":3,\"status\":\"diverged\",\"divergedAt\":{\"epoch\":2,\"step\":17}}";

    private readonly string folder = Path.Combine(Path.GetTempPath(), "fe-record-format-" + Guid.NewGuid().ToString("N"));

    public SurfaceRecordFormatTests() => Directory.CreateDirectory(folder);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static SurfaceRecord Finished() => new()
    {
        Kind = SurfaceRecord.KindName,
        Plan = "0123456789abcdef",
        Index = 3,
        Chain = 1,
        Position = 2,
        Lambda = 0.75,
        Gamma = 2.5,
        Rate = 12.345678901234567,
        Distortion = 101.25,
        Classification = 0.1 + 0.2,
        Accuracy = 0.9375,
        FreeEnergy = 12.345678901234567 + (0.75 * 101.25) + (2.5 * (0.1 + 0.2)),
        Training = new Functionals(12.5, 100.125, 0.25, 0.96875, 4096),
        EvaluationStatistics = new FunctionalStatistics(12.345678901234567, 101.25, 0.1 + 0.2, 0.9375, 1024, 1.5, 2.25, 0.0625, -0.5, 1e-3, -2e-17),
        TrainingStatistics = new FunctionalStatistics(12.5, 100.125, 0.25, 0.96875, 4096, 1.25, 2, 0.125, -0.25, 0, 3.5e-300),
        Window = new ConvergenceWindow([90.5, 90.25, 90.125], [12.5, 12.25, 12], [100.5, 100.25, 100.125], [0.5, 0.375, 0.25]),
        Repairs = 1,
        Epochs = 42,
        Converged = true,
        Seconds = 3.141592653589793,
        Seed = -7,
        WarmStartFrom = 2,
        Checkpoint = "models/point-0003.pt",
    };

    private static SurfaceRecord Diverged() => new()
    {
        Kind = SurfaceRecord.KindName,
        Plan = "0123456789abcdef",
        Index = 4,
        Chain = 1,
        Position = 3,
        Lambda = 0.5,
        Gamma = 2.5,
        Seconds = 0.5,
        Seed = 11,
        WarmStartFrom = 3,
        Status = SweepPointStatus.Diverged,
        DivergedAt = new DivergenceStep(2, 17),
    };

    private string[] Written(params SurfaceRecord[] records)
    {
        string path = Path.Combine(folder, "surface.jsonl");
        JsonLinesFile.WriteAtomically(path, records);
        return File.ReadAllLines(path);
    }

    [Fact]
    public void NewRecordsAreWrittenByteForByteAsBefore()
    {
        string[] lines = Written(Finished(), Diverged());
        Assert.Equal([FinishedLine, DivergedLine], lines);
    }

    [Fact]
    public void RecordsWrittenBeforeLoadToTheSameRecords()
    {
        string path = Path.Combine(folder, "old.jsonl");
        File.WriteAllLines(path, [FinishedLine, DivergedLine]);
        var surface = EquilibriumSurface.Load(path);

        var finished = Assert.Single(surface.Records);
        var diverged = Assert.Single(surface.Diverged);
        Assert.Equal(Finished() with { Window = finished.Window }, finished);
        Assert.Equal(Finished().Window!.Objective, finished.Window!.Objective);
        Assert.Equal(Diverged(), diverged);
        Assert.Equal(new Multipliers(0.75, 2.5), finished.Multipliers);
        Assert.Equal(new Functionals(12.345678901234567, 101.25, 0.1 + 0.2, 0.9375, 0), finished.Evaluation);
        Assert.Equal([FinishedLine, DivergedLine], Written(finished, diverged));
    }
}
