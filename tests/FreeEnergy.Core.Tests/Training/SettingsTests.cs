using System.Reflection;
using System.Text.RegularExpressions;
using FreeEnergy.Core.Derivatives;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Processes;
using FreeEnergy.Core.Surface;
using FreeEnergy.Core.Training;
using FreeEnergy.Core.Workers;

namespace FreeEnergy.Core.Tests.Training;

/// <summary>
/// The settings pattern of issue 15: one immutable options record per worker with its defaults declared once,
/// validation of the whole record with every problem reported at once, and <c>With…</c> as copy-on-write.
/// </summary>
public class SettingsTests
{
    [Fact]
    public void WithReturnsANewTrainerAndLeavesTheReceiverAsItWas()
    {
        var shared = new EquilibriumTrainer();
        var changed = shared.WithAdam(1e-2).WithBatchSize(16).WithFixedEpochs(3).WithCooldown(2).WithShuffleSeed(9);
        Assert.Equal(new EquilibriumTrainerOptions(), shared.Options);
        Assert.Equal(EquilibriumTrainerOptions.Defaults.LearningRate, shared.LearningRate);
        Assert.Equal(EquilibriumTrainerOptions.Defaults.BatchSize, shared.BatchSize);
        Assert.Equal(ConvergenceRule.Default, shared.Convergence);
        Assert.Equal((1e-2, 16, 3, 2, 9L), (changed.LearningRate, changed.BatchSize, changed.Convergence.MaxEpochs, changed.CooldownEpochs, changed.ShuffleSeed!.Value));
    }

    [Fact]
    public void TheOptionalParametersAndTheInitialisersShareOneSetOfDefaults()
    {
        var trainer = new EquilibriumTrainer().WithAdam(0.5, 0.5, 0.5).WithCooldown(3, 0.5).WithPolish(2, 8, 3);
        var reset = trainer.WithAdam().WithCooldown(0).WithPolish(0).WithConvergence();
        Assert.Equal(new EquilibriumTrainerOptions(), reset.Options);
        Assert.Equal(new EquilibriumTrainerOptions(), trainer.WithClassicRelaxation().WithAdam().Options);
        Assert.Equal(new ConvergenceRule(), new ConvergenceRule(ConvergenceRule.Defaults.Window, ConvergenceRule.Defaults.RelativeTolerance, ConvergenceRule.Defaults.MaxEpochs, ConvergenceRule.Defaults.MinEpochs));
    }

    [Fact]
    public void EveryProblemOfTheTrainerOptionsIsReportedAtOnce()
    {
        var bad = new EquilibriumTrainerOptions
        {
            LearningRate = -1,
            Beta2 = 1,
            BatchSize = 0,
            PolishBatchSize = 0,
            Convergence = ConvergenceRule.Default with { Window = 0, MinEpochs = 99 },
        };
        var e = Assert.Throws<FreeEnergyConfigurationException>(() => new EquilibriumTrainer(bad));
        Assert.Equal(6, e.Problems.Count);
        Assert.Contains(e.Problems, p => p.StartsWith("LearningRate must be finite and > 0; it is -1", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("Beta2 must be in [0, 1); it is 1", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("Convergence.Window", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("Convergence.MinEpochs must be in [1, MaxEpochs = 50]; it is 99", StringComparison.Ordinal));
        Assert.Throws<FreeEnergyConfigurationException>(() => new EquilibriumTrainer().WithOptions(bad));
        Assert.Empty(new EquilibriumTrainerOptions().Problems());
    }

    [Fact]
    public void ConvergenceRuleIsARecordThatWithChangesAndFixedEpochsNeverStopsEarly()
    {
        var rule = ConvergenceRule.Default with { MaxEpochs = 7 };
        Assert.Equal((3, 7), (rule.Window, rule.MaxEpochs));
        Assert.Empty(rule.Problems());
        Assert.Same(rule, rule.Validate());
        Assert.Throws<FreeEnergyConfigurationException>(() => (rule with { RelativeTolerance = double.NaN }).Validate());

        var fixedRule = ConvergenceRule.FixedEpochs(4);
        Assert.Equal((4, 4), (fixedRule.MinEpochs, fixedRule.MaxEpochs));
        double[] flat = [5, 5 + 1e-9, 5 - 1e-9, 5];
        Assert.Null(fixedRule.RelativeChange(flat[..3])); // nothing checked before the last epoch
        Assert.False(fixedRule.IsConverged([5, 5.1, 5.2, 5.3]));
        Assert.Equal("epochs", Assert.Throws<ArgumentOutOfRangeException>(() => ConvergenceRule.FixedEpochs(0)).ParamName);
    }

    [Fact]
    public void ASweepsWithMethodsReturnNewSweeps()
    {
        var sweep = new SurfaceSweep(() => throw new InvalidOperationException("not built in this test"), new EquilibriumTrainer());
        string file = Path.Combine(Path.GetTempPath(), "settings-tests-sweep.jsonl");
        var recorded = sweep.WithRecordFile(file).WithIndependentTraining().WithWorkers(1).WithContinueAfterDivergence();
        Assert.Null(sweep.RecordFile);
        Assert.True(sweep.Continuation);
        Assert.False(sweep.ContinueAfterDivergence);
        Assert.Equal((Path.GetFullPath(file), false, true, 1), (recorded.RecordFile, recorded.Continuation, recorded.ContinueAfterDivergence, recorded.Workers));
        var pooled = recorded.WithWorkers(new WorkerPool(3), priority: 2);
        Assert.Equal((3, 1), (pooled.Workers, recorded.Workers));

        var e = Assert.Throws<FreeEnergyConfigurationException>(() => sweep.WithOptions(new SurfaceSweepOptions { Workers = 0, RecordFile = string.Empty }));
        Assert.Equal(2, e.Problems.Count);
        Assert.Throws<FreeEnergyConfigurationException>(() => sweep.WithOptions(new SurfaceSweepOptions { Workers = 2, SharedPool = new WorkerPool(2) }));
    }

    [Fact]
    public void AProcesssWithMethodsReturnNewProcesses()
    {
        var process = new QuasiStaticProcess(new EquilibriumTrainer(), new EncoderFluctuationEstimator());
        var changed = process.WithRecordFile("steps.jsonl").WithTolerance(0.05).WithMaxCorrections(2).WithStopOnFailure().WithMethod(ProcessMethod.PredictorCorrector);
        Assert.Equal(new QuasiStaticProcessOptions(), process.Options);
        Assert.Null(process.RecordFile);
        Assert.Equal((0.05, 2, true, ProcessMethod.PredictorCorrector), (changed.Tolerance, changed.MaxCorrections, changed.StopOnFailure, changed.Method));
        Assert.Equal(Path.GetFullPath("steps.jsonl"), changed.RecordFile);

        var bad = new QuasiStaticProcessOptions { Tolerance = 0, MaxRelativeChange = 1, Method = (ProcessMethod)7, Protocol = RampProtocol.Default with { ChecksPerEpoch = 0 } };
        var e = Assert.Throws<FreeEnergyConfigurationException>(() => new QuasiStaticProcess(new EquilibriumTrainer(), new EncoderFluctuationEstimator(), bad));
        Assert.Equal(4, e.Problems.Count);
        Assert.Contains(e.Problems, p => p.StartsWith("Protocol.ChecksPerEpoch", StringComparison.Ordinal));
    }

    /// <summary>
    /// .editorconfig makes a dropped result of every worker's <c>With…</c> method a build error (CA1806, with the
    /// methods listed by documentation id): the list must name every public one, or a new method escapes the check.
    /// </summary>
    [Fact]
    public void EveryWorkersWithMethodIsOnTheDroppedResultList()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "FreeEnergy.Core.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("FreeEnergy.Core.sln not found above the test folder.");
        }

        string config = File.ReadAllText(Path.Combine(root, ".editorconfig"));
        var listed = Regex.Match(config, @"dotnet_code_quality\.CA1806\.additional_use_results_methods = (.*)").Groups[1].Value.Trim().Split('|').ToHashSet(StringComparer.Ordinal);
        string[] missing =
        [
            .. new[] { typeof(EquilibriumTrainer), typeof(SurfaceSweep), typeof(QuasiStaticProcess) }
                .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Where(m => m.Name.StartsWith("With", StringComparison.Ordinal)))
                .Select(DocumentationId)
                .Where(id => !listed.Contains(id)),
        ];
        Assert.True(missing.Length == 0, "add to .editorconfig's CA1806 list: " + string.Join("|", missing));
    }

    private static string DocumentationId(MethodInfo method)
    {
        static string Name(Type t) => t.IsGenericType && Nullable.GetUnderlyingType(t) is Type inner ? $"System.Nullable{{{Name(inner)}}}" : t.FullName!;
        var parameters = method.GetParameters();
        string list = parameters.Length == 0 ? string.Empty : "(" + string.Join(",", parameters.Select(p => Name(p.ParameterType))) + ")";
        return $"M:{method.DeclaringType!.FullName}.{method.Name}{list}";
    }
}
