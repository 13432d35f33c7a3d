using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Surface;
using Xunit.Abstractions;

namespace FreeEnergy.Reproduce.Tests;

/// <summary>
/// The kill test of issue 17: SIGKILL a <c>surface --quick --no-repair</c> run of the built program at many moments,
/// resume it in the same folder each time until it finishes, and compare the records with an uninterrupted run.
/// <c>scripts/kill-test.sh</c> runs this test with more kill points (<c>FREEENERGY_KILL_POINTS</c>).
/// </summary>
/// <remarks>
/// <c>--no-repair</c>: the certificate's repair loop is not resumable bit for bit (a resumed run repeats it, and a
/// second repair of a point already repaired changes it: measured: (4, 10) re-repaired), so a run with it cannot
/// end identical to an uninterrupted one after a kill behind the repair's write. The sweep itself promises that.
/// </remarks>
public sealed class KillTests(ITestOutputHelper log)
{
    /// <summary>The evenly spaced kill moments of the timed chain, unless <c>FREEENERGY_KILL_POINTS</c> says otherwise.</summary>
    private const int DefaultTimedKills = 8;

    /// <summary>Polled kills: right after a records-file write, or while a checkpoint's temporary file exists (mid-write).</summary>
    private const int DefaultPolledKills = 6;

    /// <remarks>
    /// One worker by default: with two, a resumed run now and then ends with a point that differs from the
    /// uninterrupted run's in the fifth significant digit (2 of 24 runs of <c>scripts/kill-test.sh 12 2</c>; the cause is
    /// not found, docs/surface.md "Determinism"). The in-process test of a cancelled parallel sweep resumed with another
    /// worker count (SurfaceSweepWorkersTests) covers the parallel path on a small model.
    /// </remarks>
    private static readonly string[] Arguments = ["surface", "--quick", "--no-repair", "--workers", Workers()];

    /// <summary>The program's worker count: <c>FREEENERGY_KILL_WORKERS</c> if set (the script's <c>--workers</c>), else 1.</summary>
    private static string Workers() => PositiveSetting("FREEENERGY_KILL_WORKERS", 1).ToString(CultureInfo.InvariantCulture);

    [Fact]
    public void ASurfaceRunKilledAtManyMomentsAndResumedEndsWithTheRecordsOfAnUninterruptedRun()
    {
        int timedKills = KillPoints();
        using var folder = new TempDirectory();
        var counts = new KillCounts();

        // 1. Polled kills, alternating: right after the records file changed (between points), and while a checkpoint
        //    is being written (its .tmp-PID file exists: the kill lands mid-write). First, so that the uninterrupted
        //    run after them is measured with warm caches (the timed kill moments are fractions of its duration).
        string polled = Path.Combine(folder.Path, "polled");
        for (int i = 0; i < DefaultPolledKills; i++)
        {
            bool midCheckpoint = i % 2 == 1;
            KillAfter(polled, midCheckpoint ? "polled: during a checkpoint write" : "polled: after a records write", p => midCheckpoint ? WaitForCheckpointWrite(polled, p) : WaitForRecordsWrite(polled, p), counts);
        }

        Finish(polled, counts);

        // 2. The uninterrupted run: the reference records and the duration.
        string reference = Path.Combine(folder.Path, "reference");
        var clock = Stopwatch.StartNew();
        var (code, output) = RunToEnd(reference);
        var duration = clock.Elapsed;
        Assert.True(code == 0, $"the uninterrupted run exited with {code}:\n{output}");
        var expected = Comparable(Path.Combine(reference, "surface.jsonl"));

        // 3. Kills at evenly spaced fractions of that duration, each measured from the start of the resumed run, in
        //    ascending order (later resumes live longer, so the run moves on), in one folder. A resume that finishes
        //    before its kill moment is compared, and the kill moment is tried once more on a fresh folder.
        string timed = Path.Combine(folder.Path, "timed");
        for (int i = 1; i <= timedKills; i++)
        {
            var delay = duration * i / (timedKills + 1);
            string label = string.Create(CultureInfo.InvariantCulture, $"timed {i}/{timedKills} at {delay.TotalSeconds:F2} s");
            if (KillAfter(timed, label, p => p.WaitForExit(delay), counts))
            {
                KillAfter(timed, label + " (fresh folder)", p => p.WaitForExit(delay), counts);
            }
        }

        Finish(timed, counts);
        foreach (string line in counts.Log)
        {
            log.WriteLine(line);
        }

        string[] differences = [.. counts.Finals.SelectMany(f => Differences(expected, f.Records).Select(d => $"{f.Label}: {d}"))];
        Assert.True(differences.Length == 0, $"{differences.Length} record(s) of the {counts.Finals.Count} finished runs differ from the uninterrupted run's:\n{string.Join("\n", differences)}");
        string summary = string.Create(CultureInfo.InvariantCulture,
            $"kill test: uninterrupted run {duration.TotalSeconds:F1} s; {counts.Tried} kill points tried ({timedKills} timed moments, {counts.Tried - timedKills - DefaultPolledKills} of them tried again on a fresh folder, {DefaultPolledKills} polled), {counts.Killed} killed a running process, {counts.MidWrite} landed mid-write (a temporary file left behind); {counts.Runs} runs, {counts.Finals.Count} finished after kills, each with the records of the uninterrupted run");
        log.WriteLine(summary);
        Console.WriteLine(summary);
        // How many kills land mid-write depends on timing (a polled checkpoint write may finish between the poll and
        // the kill): reported, not asserted. Every one of them was checked above like any other kill.
    }

    /// <summary>The number of timed kill points: <c>FREEENERGY_KILL_POINTS</c> if set (the script's longer runs), else 8.</summary>
    private static int KillPoints() => PositiveSetting("FREEENERGY_KILL_POINTS", DefaultTimedKills);

    /// <summary>The positive whole number in the environment variable <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    private static int PositiveSetting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : fallback;

    /// <summary>
    /// Starts a run in <paramref name="outFolder"/> and SIGKILLs it when <paramref name="wait"/> returns false (true: it
    /// ended first), then checks that what it left loads. A run that ended by itself finished: its records are kept for
    /// the comparison with the uninterrupted run and the folder is removed, so the next kill point has a run to kill.
    /// </summary>
    /// <returns>Whether the run ended by itself.</returns>
    private static bool KillAfter(string outFolder, string label, Func<Process, bool> wait, KillCounts counts)
    {
        counts.Tried++;
        counts.Runs++;
        using var run = Start(outFolder);
        var process = run.Process;
        bool ended = wait(process);
        if (!ended)
        {
            process.Kill(entireProcessTree: true); // SIGKILL on Linux and macOS
            counts.Killed++;
        }

        process.WaitForExit();
        var temporaries = Temporaries(outFolder);
        if (temporaries.Count > 0)
        {
            counts.MidWrite++;
        }

        string records = Path.Combine(outFolder, "surface.jsonl");
        int recorded = File.Exists(records) ? File.ReadLines(records).Count(l => l.Length > 0) : 0;
        counts.Log.Add(string.Create(CultureInfo.InvariantCulture,
            $"{label}: {(ended ? "ended by itself" : "killed")}, {recorded} point(s) recorded, temporaries: {(temporaries.Count == 0 ? "none" : string.Join(", ", temporaries.Select(Path.GetFileName)))}"));
        AssertLoads(outFolder);
        if (ended)
        {
            Assert.True(process.ExitCode == 0, $"{label}: the run ended by itself with exit code {process.ExitCode}:\n{run.Interleaved}");
            Completed(outFolder, counts, label);
        }

        return ended;
    }

    /// <summary>Resumes until the run ends by itself (if the folder holds an unfinished run).</summary>
    private static void Finish(string outFolder, KillCounts counts)
    {
        if (!Directory.Exists(outFolder))
        {
            return; // the last kill point found the run finished
        }

        var (code, output) = RunToEnd(outFolder);
        counts.Runs++;
        Assert.True(code == 0, $"the final resume exited with {code}:\n{output}");
        AssertLoads(outFolder);
        Completed(outFolder, counts, $"the final resume of {Path.GetFileName(outFolder)}");
    }

    /// <summary>A finished run: no temporary file is left; its records are kept for the comparison and the folder removed.</summary>
    private static void Completed(string outFolder, KillCounts counts, string label)
    {
        Assert.Empty(Temporaries(outFolder));
        counts.Finals.Add((label, Comparable(Path.Combine(outFolder, "surface.jsonl"))));
        Directory.Delete(outFolder, recursive: true);
    }

    /// <summary>Each record of <paramref name="actual"/> that differs from <paramref name="expected"/>'s, with the fields that differ and both values.</summary>
    private static IEnumerable<string> Differences(List<string> expected, List<string> actual)
    {
        if (expected.Count != actual.Count)
        {
            yield return $"{actual.Count} records instead of {expected.Count}";
        }

        for (int i = 0; i < Math.Min(expected.Count, actual.Count); i++)
        {
            if (expected[i] == actual[i])
            {
                continue;
            }

            var e = JsonNode.Parse(expected[i])!.AsObject();
            var a = JsonNode.Parse(actual[i])!.AsObject();
            var fields = e.Select(p => p.Key).Union(a.Select(p => p.Key))
                .Where(k => e[k]?.ToJsonString() != a[k]?.ToJsonString())
                .Select(k => $"{k}: {e[k]?.ToJsonString() ?? "(none)"} → {a[k]?.ToJsonString() ?? "(none)"}");
            yield return $"record {i} (index {e["index"]}): {string.Join("; ", fields)}";
        }
    }

    /// <summary>Every state a kill leaves must load: the records file (if any) and every checkpoint in the models folder.</summary>
    private static void AssertLoads(string outFolder)
    {
        string records = Path.Combine(outFolder, "surface.jsonl");
        if (File.Exists(records))
        {
            var surface = EquilibriumSurface.Load(records);
            Assert.All(surface.Records, r => Assert.True(File.Exists(Path.Combine(outFolder, r.Checkpoint!)), $"point {r.Index}: checkpoint {r.Checkpoint} is missing"));
        }

        string models = records + ".models";
        if (Directory.Exists(models))
        {
            foreach (string checkpoint in Directory.EnumerateFiles(models, "*.fe"))
            {
                using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithSamples(2).WithSeed(1).Build();
                model.LoadWeights(checkpoint); // verifies the header, the length and the SHA-256 of the weights
            }
        }

        string certificate = Path.Combine(outFolder, "certificate.json");
        if (File.Exists(certificate))
        {
            using var _ = JsonDocument.Parse(File.ReadAllText(certificate));
        }
    }

    /// <summary>Temporary files a run leaves (a records file's <c>.tmp</c>, a checkpoint's <c>.tmp-PID</c>); the <c>.lock</c> file is meant to stay.</summary>
    private static List<string> Temporaries(string outFolder) =>
        Directory.Exists(outFolder)
            ? [.. Directory.EnumerateFiles(outFolder, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f).Contains(".tmp", StringComparison.Ordinal))]
            : [];

    /// <summary>The records with what may differ between runs removed: the wall-clock seconds.</summary>
    private static List<string> Comparable(string records) =>
        [.. File.ReadLines(records).Where(l => l.Length > 0).Select(l =>
        {
            var node = JsonNode.Parse(l)!.AsObject();
            Assert.True(node.Remove("seconds"), $"a record without seconds: {l}");
            return node.ToJsonString();
        })];

    /// <summary>Waits until the records file changes (a point was recorded) or the process ends; true if it ended.</summary>
    private static bool WaitForRecordsWrite(string outFolder, Process process)
    {
        string records = Path.Combine(outFolder, "surface.jsonl");
        var before = Stamp(records);
        while (!process.HasExited)
        {
            if (Stamp(records) != before)
            {
                return false;
            }

            Thread.Sleep(1);
        }

        return true;
    }

    /// <summary>Waits until a checkpoint's temporary file appears (a checkpoint is being written) or the process ends; true if it ended.</summary>
    private static bool WaitForCheckpointWrite(string outFolder, Process process)
    {
        string models = Path.Combine(outFolder, "surface.jsonl.models");
        string infix = string.Create(CultureInfo.InvariantCulture, $".tmp-{process.Id}");
        while (!process.HasExited)
        {
            if (Directory.Exists(models) && Directory.EnumerateFiles(models).Any(f => f.EndsWith(infix, StringComparison.Ordinal)))
            {
                return false;
            }

            Thread.Sleep(1);
        }

        return true;
    }

    private static (long Length, DateTime Written) Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.Length, info.LastWriteTimeUtc) : (-1, default);
    }

    private static (int Code, string Output) RunToEnd(string outFolder)
    {
        using var run = Start(outFolder);
        var result = run.WaitForExit(Timeout.InfiniteTimeSpan);
        return (result.ExitCode, result.Interleaved);
    }

    /// <summary>Starts the built program (copied beside this test assembly) on <paramref name="outFolder"/>.</summary>
    private static ChildProcess.Running Start(string outFolder)
    {
        string program = Path.Combine(AppContext.BaseDirectory, "FreeEnergy.Reproduce.dll");
        Assert.True(File.Exists(program), $"{program} is missing");
        return ChildProcess.Start(ChildProcess.StartInfo(ChildProcess.DotnetHost, [program, .. Arguments, "--out", outFolder]));
    }

    private sealed class KillCounts
    {
        public int Tried { get; set; }

        public int Killed { get; set; }

        public int MidWrite { get; set; }

        public int Runs { get; set; }

        public List<(string Label, List<string> Records)> Finals { get; } = [];

        public List<string> Log { get; } = [];
    }
}
