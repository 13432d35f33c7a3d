using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SkiaSharp;
using Xunit.Abstractions;

namespace FreeEnergy.Reproduce.Tests;

/// <summary>
/// One <c>all --quick</c> run of the built program on a machine without fonts (Linux: /usr/share/fonts hidden by an
/// empty tmpfs in a private mount namespace), shared by the tests of the plots' text and of the report page.
/// </summary>
public sealed class FontlessRun : IDisposable
{
    /// <summary>The only folder SkiaSharp's no-dependencies Linux build looks in for fonts (no fontconfig).</summary>
    public const string FontFolder = "/usr/share/fonts";

    private readonly TempDirectory folder = new();

    public FontlessRun()
    {
        Results = Path.Combine(folder.Path, "results");
        string program = Path.Combine(AppContext.BaseDirectory, "FreeEnergy.Reproduce.dll");
        string dotnet = ChildProcess.DotnetHost;
        Isolated = OperatingSystem.IsLinux() && Directory.Exists(FontFolder);
        ProcessStartInfo start;
        if (Isolated)
        {
            // The child prints how many font files it can see, then runs the program with the remaining arguments.
            start = new ProcessStartInfo("unshare");
            foreach (string argument in new[] { "--mount", "--fork", "--", "sh", "-c", $"mount -t tmpfs none {FontFolder} && echo \"font files visible: $(find {FontFolder} -type f | wc -l)\" && exec \"$0\" \"$@\"", dotnet })
            {
                start.ArgumentList.Add(argument);
            }
        }
        else
        {
            start = new ProcessStartInfo(dotnet);
        }

        // One worker: this fixture checks the report and the fonts, not parallelism (ReproduceAppTests compares a
        // parallel run with a serial one). A 2-worker run here crashed once in libtorch ("Unknown scalar type"): a
        // TorchSharp implicit Scalar freed mid-call by another worker's collection, which the library now holds
        // (docs/troubleshooting.md).
        foreach (string argument in new[] { program, "all", "--quick", "--workers", "1", "--out", Results })
        {
            start.ArgumentList.Add(argument);
        }

        var result = ChildProcess.Run(start, Timeout.InfiniteTimeSpan);
        Output = result.Output;
        ExitCode = result.ExitCode;
        Error = result.Error;
    }

    public string Results { get; }

    public string Output { get; }

    public string Error { get; }

    public int ExitCode { get; }

    /// <summary>Whether the run had the machine's fonts hidden (Linux with a font folder).</summary>
    public bool Isolated { get; }

    public void Dispose() => folder.Dispose();
}

/// <summary>Issue 16: the plots' text on a machine without fonts, and the report page in a real browser.</summary>
public sealed class ReportTests(FontlessRun run, ITestOutputHelper log) : IClassFixture<FontlessRun>
{
    private static readonly string[] PlotFiles = ["rd-curves.png", "surface-rdc.png", "iso-classification.png", "iso-classification-control.png", "transfer.png", "transfer-control.png", "transfer-comparison.png"];

    [Fact]
    public void EveryPlotHasTitleTextOnAMachineWithoutFonts()
    {
        AssertRan();
        if (run.Isolated)
        {
            // The isolation is the right one: this SkiaSharp has no fontconfig and looks only in /usr/share/fonts.
            string native = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libSkiaSharp.so");
            if (File.Exists(native))
            {
                string binary = Encoding.Latin1.GetString(File.ReadAllBytes(native));
                Assert.Contains(FontlessRun.FontFolder + "/", binary, StringComparison.Ordinal);
                Assert.DoesNotContain("libfontconfig", binary, StringComparison.Ordinal);
            }

            Assert.Contains("font files visible: 0", run.Output, StringComparison.Ordinal);
        }

        var counts = PlotFiles.Select(name => (Name: name, Text: TitleTextPixels(File.ReadAllBytes(Path.Combine(run.Results, name))))).ToArray();
        foreach (var (name, text) in counts)
        {
            log.WriteLine($"{name}: {text} dark pixels above its first axes frame");
        }

        Assert.All(counts, c => Assert.True(c.Text >= MinimumTitlePixels, $"{c.Name} has {c.Text} dark pixels above its first axes frame: no title text was drawn"));
    }

    [Fact]
    public void TheReportIsOnePageWithItsImagesEmbeddedAndTheirText()
    {
        AssertRan();
        string html = File.ReadAllText(Path.Combine(run.Results, "report.html"));
        Assert.Contains(Path.Combine(run.Results, "report.html"), run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(new Regex(@"(src|href)\s*=\s*""(?!data:|#)", RegexOptions.IgnoreCase), html);
        var images = Regex.Matches(html, @"<img [^>]*src=""data:image/png;base64,([A-Za-z0-9+/=]+)""").Select(m => Convert.FromBase64String(m.Groups[1].Value)).ToArray();
        Assert.Equal(PlotFiles.Length, images.Length);
        foreach (byte[] png in images)
        {
            Assert.True(TitleTextPixels(png) >= MinimumTitlePixels, "an image of the report has no title text");
            Assert.Contains(png, PlotFiles.Select(f => File.ReadAllBytes(Path.Combine(run.Results, f))), ByteComparer.Instance);
        }

        // The run is recorded, and the plot command (no training) writes the same page from the records.
        using (var runs = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.Results, "run.json"))))
        {
            var only = Assert.Single(runs.RootElement.GetProperty("runs").EnumerateArray());
            Assert.Equal("all", only.GetProperty("command").GetString());
            Assert.Equal("yes", only.GetProperty("options").GetProperty("quick").GetString());
        }

        string copy = Path.Combine(Path.GetDirectoryName(run.Results)!, "replotted");
        Directory.CreateDirectory(copy);
        foreach (string file in Directory.EnumerateFiles(run.Results).Where(f => f.EndsWith(".jsonl", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        var (code, output, error, _) = ReproduceAppTests.Run("plot", "--out", copy);
        Assert.True(code == 0, $"plot: exit code {code}; stderr:\n{error}");
        Assert.Contains("report: " + Path.Combine(copy, "report.html"), output, StringComparison.Ordinal);
        Assert.Equal(Strip(html, run.Results), Strip(File.ReadAllText(Path.Combine(copy, "report.html")), copy));
        Assert.Single(JsonDocument.Parse(File.ReadAllText(Path.Combine(copy, "run.json"))).RootElement.GetProperty("runs").EnumerateArray());
    }

    [Fact]
    public void TheReportLoadsInChromiumWithoutErrorsAndShowsTheNumbersOfTheRecords()
    {
        AssertRan();
        using var browser = HeadlessChromium.Start();
        browser.Navigate(new Uri(Path.Combine(run.Results, "report.html")).AbsoluteUri);

        var images = browser.Evaluate("Array.from(document.images).map(i => ({ alt: i.alt, complete: i.complete, width: i.naturalWidth, height: i.naturalHeight }))");
        Assert.Equal(PlotFiles.Length, images.GetArrayLength());
        foreach (var image in images.EnumerateArray())
        {
            Assert.True(image.GetProperty("complete").GetBoolean() && image.GetProperty("width").GetInt32() > 0 && image.GetProperty("height").GetInt32() > 0, $"image {image} did not decode");
        }

        Assert.Empty(browser.Errors);

        string Shown(string id)
        {
            var text = browser.Evaluate($"(document.getElementById('{id}') || {{}}).textContent ?? null");
            Assert.True(text.ValueKind == JsonValueKind.String, $"the page has no element '{id}'");
            return text.GetString()!;
        }

        // A shown number equals the record's value to the decimals shown (percentages: of 100 × the value).
        void AssertShown(string id, double value, int decimals, bool percent = false)
        {
            string text = Shown(id);
            double shown = double.Parse(text.TrimEnd('%').Replace("nats", string.Empty, StringComparison.Ordinal).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture);
            double expected = percent ? 100 * value : value;
            Assert.True(Math.Abs(shown - expected) <= (0.5 * Math.Pow(10, -decimals)) + 1e-9, $"'{id}' shows {text}; the records say {expected.ToString("R", CultureInfo.InvariantCulture)}");
        }

        var surface = ReproduceAppTests.Records(Path.Combine(run.Results, "surface.jsonl"));
        foreach (var point in surface)
        {
            int index = point.GetProperty("index").GetInt32();
            AssertShown($"surface-{index}-f", point.GetProperty("freeEnergy").GetDouble(), 3);
            AssertShown($"surface-{index}-rate", point.GetProperty("rate").GetDouble(), 3);
            AssertShown($"surface-{index}-classification", point.GetProperty("classification").GetDouble(), 4);
        }

        using (var certificate = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.Results, "certificate.json"))))
        {
            foreach (var c in certificate.RootElement.GetProperty("certificates").EnumerateArray())
            {
                string data = c.GetProperty("data").GetString()!.ToLowerInvariant();
                Assert.Equal(c.GetProperty("outcome").GetString(), Shown($"certificate-{data}-outcome"));
                AssertShown($"certificate-{data}-significant", c.GetProperty("significant").GetInt32(), 0);
            }
        }

        foreach (var (key, file) in new[] { ("iso", "iso-classification.jsonl"), ("transfer", "transfer.jsonl") })
        {
            var steps = ReproduceAppTests.Records(Path.Combine(run.Results, file));
            AssertShown($"{key}-target", steps[0].GetProperty("target").GetDouble(), 4);
            foreach (var step in steps)
            {
                int index = step.GetProperty("index").GetInt32();
                AssertShown($"{key}-step-{index}-drift", step.GetProperty("drift").GetDouble(), 2, percent: true);
                AssertShown($"{key}-step-{index}-classification", step.GetProperty("classification").GetDouble(), 4);
            }
        }

        foreach (var (key, file) in new[] { ("iso", "iso-classification-endpoint.json"), ("transfer", "transfer-endpoint.json") })
        {
            using var endpoint = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.Results, file)));
            var root = endpoint.RootElement;
            AssertShown($"endpoint-{key}-move", root.GetProperty("relativeMove").GetDouble(), 1, percent: true);
            AssertShown($"endpoint-{key}-after", root.GetProperty("heldAfter").GetDouble(), 4);
            Assert.StartsWith(root.GetProperty("stillHeld").GetBoolean() ? "held" : "moved", Shown($"endpoint-{key}-verdict"), StringComparison.Ordinal);
        }

        foreach (var (key, file) in new[] { ("constant-c", "transfer.jsonl"), ("authors", "transfer-authors.jsonl"), ("finetune-epochs", "transfer-finetune.jsonl"), ("finetune-images", "transfer-finetune-images.jsonl") })
        {
            var steps = ReproduceAppTests.Records(Path.Combine(run.Results, file));
            AssertShown($"cmp-{key}-epochs", steps.Sum(s => s.GetProperty("epochs").GetInt32()), 0);
            AssertShown($"cmp-{key}-target-accuracy", steps[^1].GetProperty("targetAccuracy").GetDouble(), 1, percent: true);
            AssertShown($"cmp-{key}-source-accuracy", steps[^1].GetProperty("sourceAccuracy").GetDouble(), 1, percent: true);
            AssertShown($"cmp-{key}-classification", steps[^1].GetProperty("classification").GetDouble(), 4);
        }

        // A screenshot of the whole page, kept beside the report for a look (and decoded here: it has content).
        byte[] screenshot = browser.Screenshot(1280);
        File.WriteAllBytes(Path.Combine(run.Results, "report-screenshot.png"), screenshot);
        using var bitmap = SKBitmap.Decode(screenshot);
        Assert.True(bitmap is not null && bitmap.Width == 1280 && bitmap.Height > 2000, "the screenshot of the page did not decode or is too short");
        Assert.Empty(browser.Errors);
    }

    /// <summary>A title of 20 or more characters has thousands of dark pixels.</summary>
    private const int MinimumTitlePixels = 300;

    /// <summary>
    /// The dark pixels (luminance below half) in the title band of a plot: the rows above its first axes frame (the
    /// first row with an unbroken dark line over a quarter of the width; a line of text is broken between glyphs). A plot without text has white rows there (the frame moves up to
    /// the top), so a fixed band would count the frame itself.
    /// </summary>
    internal static int TitleTextPixels(byte[] png)
    {
        using var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        bool Dark(int x, int y)
        {
            var c = bitmap.GetPixel(x, y);
            return c.Alpha > 128 && ((0.299 * c.Red) + (0.587 * c.Green) + (0.114 * c.Blue)) < 128;
        }

        int count = 0;
        for (int y = 0; y < bitmap.Height; y++)
        {
            int row = 0, run = 0, longest = 0;
            for (int x = 0; x < bitmap.Width; x++)
            {
                bool dark = Dark(x, y);
                row += dark ? 1 : 0;
                run = dark ? run + 1 : 0;
                longest = Math.Max(longest, run);
            }

            if (longest > bitmap.Width / 4)
            {
                return count;
            }

            count += row;
        }

        Assert.Fail("the image has no axes frame (no row with an unbroken dark line over a quarter of its width)");
        return count;
    }

    private void AssertRan()
    {
        Assert.True(run.ExitCode == 0,
            $"all --quick{(run.Isolated ? $" with {FontlessRun.FontFolder} hidden (unshare --mount: needs root or CAP_SYS_ADMIN)" : string.Empty)} exited with {run.ExitCode}; stderr:\n{run.Error}");
    }

    /// <summary>The page without its folder and the time it was written (the only parts that differ between two writes).</summary>
    private static string Strip(string html, string folder) => Regex.Replace(html.Replace(folder, "…", StringComparison.Ordinal), @"page written [0-9-]+ [0-9:]+ UTC", "page written …");

    private sealed class ByteComparer : IEqualityComparer<byte[]>
    {
        public static ByteComparer Instance { get; } = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj.Length;
    }
}
