using System.Diagnostics;
using System.Text.RegularExpressions;
using FreeEnergy.ApiGuide;
using FreeEnergy.Core.Diagnostics;
using Xunit.Abstractions;

namespace FreeEnergy.Core.Tests.Docs;

/// <summary>
/// The code of the documentation cannot drift from code that compiles and runs:
/// <list type="bullet">
/// <item>every csharp block of docs/api-guide.md is preceded by <c>&lt;!-- snippet: NAME --&gt;</c> and equals the region
/// NAME of samples/FreeEnergy.ApiGuide (between <c>// snippet: NAME</c> and <c>// end-snippet</c>, dedented);</item>
/// <item>in the other pages (docs/*.md, README.md), blocks marked the same way, or with <c>&lt;!-- file: PATH --&gt;</c>
/// (the whole file at PATH), equal their source;</item>
/// <item>every region is on the page, and every snippet runs, with the sample's tiny budgets, leaking no tensor.</item>
/// </list>
/// </summary>
public sealed partial class ApiGuideSnippetTests(ApiGuideSnippetTests.Fixture fixture, ITestOutputHelper output)
    : IClassFixture<ApiGuideSnippetTests.Fixture>
{
    private static readonly string Root = TestRepository.Root;
    private static readonly string SampleFolder = Path.Combine(Root, "samples", "FreeEnergy.ApiGuide");
    private static readonly string GuidePath = Path.Combine(Root, "docs", "api-guide.md");

    public static TheoryData<string> SnippetNames => new(SnippetCatalog.Names);

    [Fact]
    public void EveryCsharpBlockOfTheApiGuideIsARegionOfTheSample()
    {
        var regions = Regions();
        var blocks = Blocks(GuidePath);
        string[] unmarked = [.. blocks.Where(b => b.Marker is null).Select(b => $"line {b.Line}")];
        Assert.True(unmarked.Length == 0, $"csharp blocks of docs/api-guide.md without a '<!-- snippet: NAME -->' line before them: {string.Join(", ", unmarked)}");
        foreach (var block in blocks)
        {
            Assert.True(block.Marker!.Kind == "snippet", $"docs/api-guide.md line {block.Line}: only snippet markers belong on this page");
            Assert.True(regions.ContainsKey(block.Marker.Target), $"docs/api-guide.md line {block.Line}: no region '{block.Marker.Target}' in {SampleFolder}");
            AssertSameCode(regions[block.Marker.Target], block.Code, $"docs/api-guide.md line {block.Line} (snippet '{block.Marker.Target}')");
        }
    }

    [Fact]
    public void EveryRegionIsOnTheApiGuideAndEverySnippetIsInTheCatalog()
    {
        var regions = Regions();
        var onPage = Blocks(GuidePath).Select(b => b.Marker?.Target).ToHashSet();
        string[] missing = [.. regions.Keys.Where(name => !onPage.Contains(name))];
        Assert.True(missing.Length == 0, $"regions of the sample that docs/api-guide.md does not show: {string.Join(", ", missing)}");

        var runnable = regions.Keys.Except(SnippetCatalog.Helpers).Order(StringComparer.Ordinal);
        Assert.Equal(runnable, SnippetCatalog.Names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void MarkedBlocksOfTheOtherPagesMatchTheirSources()
    {
        var regions = Regions();
        string[] pages = [Path.Combine(Root, "README.md"), .. Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Where(p => p != GuidePath)];
        int checkedBlocks = 0;
        foreach (string page in pages)
        {
            string name = Path.GetRelativePath(Root, page);
            foreach (var block in Blocks(page).Where(b => b.Marker is not null))
            {
                var marker = block.Marker!;
                string expected;
                if (marker.Kind == "file")
                {
                    string path = Path.Combine(Root, marker.Target);
                    Assert.True(File.Exists(path), $"{name} line {block.Line}: '{marker.Target}' does not exist");
                    expected = Normalize(File.ReadAllText(path)).TrimEnd('\n');
                }
                else
                {
                    Assert.True(regions.ContainsKey(marker.Target), $"{name} line {block.Line}: no region '{marker.Target}' in {SampleFolder}");
                    expected = regions[marker.Target];
                }

                AssertSameCode(expected, block.Code, $"{name} line {block.Line} ({marker.Kind} '{marker.Target}')");
                checkedBlocks++;
            }
        }

        output.WriteLine($"{checkedBlocks} marked blocks outside docs/api-guide.md checked");
        Assert.True(checkedBlocks > 0, "docs/getting-started.md shows the QuickStart program under a '<!-- file: … -->' marker");
    }

    [Theory]
    [MemberData(nameof(SnippetNames))]
    public void SnippetRuns(string name)
    {
        var console = Console.Out;
        using var captured = new StringWriter();
        long liveTensors = FreeEnergyRuntime.LiveTensorCount;
        var clock = Stopwatch.StartNew();
        try
        {
            Console.SetOut(captured);
            SnippetCatalog.Run(name, fixture.Context);
        }
        finally
        {
            Console.SetOut(console);
            output.WriteLine(captured.ToString());
            output.WriteLine($"{name}: {clock.Elapsed.TotalSeconds:F1} s");
        }

        Assert.Equal(liveTensors, FreeEnergyRuntime.LiveTensorCount);
    }

    private static void AssertSameCode(string expected, string actual, string where)
    {
        if (expected == actual)
        {
            return;
        }

        string[] e = expected.Split('\n'), a = actual.Split('\n');
        int line = Enumerable.Range(0, Math.Min(e.Length, a.Length)).FirstOrDefault(i => e[i] != a[i], Math.Min(e.Length, a.Length));
        Assert.Fail($"{where} differs from its source at code line {line + 1}:\n  source: {(line < e.Length ? e[line] : "(end)")}\n  page:   {(line < a.Length ? a[line] : "(end)")}\n"
            + "Copy the region of samples/FreeEnergy.ApiGuide into the page (the source is what is compiled and run).");
    }

    /// <summary>The regions of the sample's sources by name, dedented, with Unix line ends.</summary>
    private static Dictionary<string, string> Regions()
    {
        var regions = new Dictionary<string, string>(StringComparer.Ordinal);
        var sources = Directory.GetFiles(SampleFolder, "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        foreach (string file in sources)
        {
            string[] lines = Normalize(File.ReadAllText(file)).Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                var start = RegionStart().Match(lines[i]);
                if (!start.Success)
                {
                    Assert.False(RegionEnd().IsMatch(lines[i]), $"{file} line {i + 1}: '// end-snippet' without a start");
                    continue;
                }

                string name = start.Groups[1].Value;
                int end = Array.FindIndex(lines, i + 1, l => RegionEnd().IsMatch(l) || RegionStart().IsMatch(l));
                Assert.True(end > i && RegionEnd().IsMatch(lines[end]), $"{file} line {i + 1}: region '{name}' has no '// end-snippet' before the next region");
                Assert.True(regions.TryAdd(name, Dedent(lines[(i + 1)..end])), $"{file} line {i + 1}: a second region called '{name}'");
                i = end;
            }
        }

        Assert.NotEmpty(regions);
        return regions;
    }

    private static string Dedent(string[] lines)
    {
        int indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart(' ').Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', lines.Select(l => l.Trim().Length == 0 ? string.Empty : l[indent..].TrimEnd())).Trim('\n');
    }

    /// <summary>The csharp blocks of a Markdown page, each with the marker on the line before its fence, if any.</summary>
    private static List<Block> Blocks(string page)
    {
        string[] lines = Normalize(File.ReadAllText(page)).Split('\n');
        var blocks = new List<Block>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp")
            {
                continue;
            }

            int end = Array.FindIndex(lines, i + 1, l => l.Trim() == "```");
            Assert.True(end > i, $"{page} line {i + 1}: the csharp block is not closed");
            var match = i > 0 ? Marker().Match(lines[i - 1].Trim()) : Match.Empty;
            var marker = match.Success ? new BlockMarker(match.Groups[1].Value, match.Groups[2].Value) : null;
            blocks.Add(new Block(i + 1, marker, string.Join('\n', lines[(i + 1)..end].Select(l => l.TrimEnd())).Trim('\n')));
            i = end;
        }

        return blocks;
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    [GeneratedRegex(@"^\s*// snippet: ([a-z0-9-]+)\s*$")]
    private static partial Regex RegionStart();

    [GeneratedRegex(@"^\s*// end-snippet\s*$")]
    private static partial Regex RegionEnd();

    [GeneratedRegex(@"^<!-- (snippet|file): (\S+) -->$")]
    private static partial Regex Marker();

    private sealed record BlockMarker(string Kind, string Target);

    private sealed record Block(int Line, BlockMarker? Marker, string Code);

    /// <summary>One snippet context for the class: the small data set is loaded once.</summary>
    public sealed class Fixture : IDisposable
    {
        public Fixture()
        {
            Context = new SnippetContext();
            _ = Context.Training; // load before the first snippet, so that its time and tensor count are its own
        }

        public SnippetContext Context { get; }

        public void Dispose() => Context.Dispose();
    }
}
