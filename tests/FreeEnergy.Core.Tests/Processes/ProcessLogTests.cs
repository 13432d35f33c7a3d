using FreeEnergy.Core.Processes;

namespace FreeEnergy.Core.Tests.Processes;

public class ProcessLogTests
{
    [Fact]
    public void AStepOutsideATransferNamesNoTaskRatio()
    {
        var logger = new ListLogger();
        string mix = ProcessLog.MixText(null);
        ProcessLog.StepFinished(logger, ProcessKind.IsoClassification, 2, 6, 1.5, 3.0, mix, 10.0, 230.0, 0.5, 0.01, 1, 4, 12.5);
        string message = Assert.Single(logger.Entries).Message;
        Assert.Contains("at λ = 1.5, γ = 3: R = 10.0000", message, StringComparison.Ordinal);
        Assert.DoesNotContain("r =", message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATransferStepNamesItsTaskRatio()
    {
        var logger = new ListLogger();
        string mix = ProcessLog.MixText(1.0 / 3);
        ProcessLog.StepFinished(logger, ProcessKind.Transfer, 1, 3, 2.0, 1.25, mix, 10.0, 230.0, 0.5, 0.01, 0, 4, 12.5);
        Assert.Contains("γ = 1.25, r = 0.3333: R = 10.0000", Assert.Single(logger.Entries).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARecordWithABadLambdaIsRefusedNamingTheFileAndLine()
    {
        // Issue 17: Multipliers' own exception escaped without the file or the line.
        string file = Path.Combine(Path.GetTempPath(), $"fe-process-{Guid.NewGuid():N}.jsonl");
        try
        {
            File.WriteAllText(file, "{\"kind\":\"freeEnergy.processStep\",\"version\":1,\"lambda\":1,\"gamma\":0}\n{\"kind\":\"freeEnergy.processStep\",\"version\":1,\"lambda\":-1,\"gamma\":0}\n");
            var ex = Assert.Throws<InvalidDataException>(() => ProcessTrajectory.Load(file));
            Assert.Contains($"'{file}' line 2", ex.Message, StringComparison.Ordinal);
            Assert.Contains("λ must be finite and > 0; got -1", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
