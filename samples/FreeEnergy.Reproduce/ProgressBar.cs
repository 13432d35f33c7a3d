using System.Diagnostics;
using System.Globalization;

namespace FreeEnergy.Reproduce;

/// <summary>
/// A text progress bar with rate and time left. On a terminal it redraws one line in place; when the writer is
/// redirected (a file, a test) it prints one line per finished unit instead.
/// </summary>
internal sealed class ProgressBar : IDisposable
{
    private const int Width = 24;
    private readonly TextWriter writer;
    private readonly string label;
    private readonly int total;
    private readonly string unit;
    private readonly bool interactive;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private int done;
    private string detail = string.Empty;
    private bool finished;

    public ProgressBar(TextWriter writer, string label, int total, string unit)
    {
        this.writer = writer;
        this.label = label;
        this.total = Math.Max(total, 1);
        this.unit = unit;
        interactive = ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;
        Draw(newLine: !interactive);
    }

    /// <summary>Sets the number of finished units.</summary>
    public void Update(int completed, string text)
    {
        done = Math.Clamp(completed, 0, total);
        detail = text;
        Draw(newLine: !interactive);
    }

    /// <summary>Changes the text after the bar (redrawn on a terminal only).</summary>
    public void Detail(string text)
    {
        detail = text;
        if (interactive)
        {
            Draw(newLine: false);
        }
    }

    /// <summary>Ends the bar's line.</summary>
    public void Finish()
    {
        if (!finished && interactive)
        {
            writer.WriteLine();
        }

        finished = true;
    }

    public void Dispose() => Finish();

    private void Draw(bool newLine)
    {
        double seconds = clock.Elapsed.TotalSeconds;
        int filled = (int)Math.Round(Width * (double)done / total);
        string rate = done > 0 && seconds > 0 ? string.Create(CultureInfo.InvariantCulture, $"{done / seconds * 60:F1} {unit}/min") : $"– {unit}/min";
        string left = done > 0 ? Format(TimeSpan.FromSeconds(seconds / done * (total - done))) : "–";
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{label} [{new string('#', filled)}{new string('-', Width - filled)}] {done}/{total} {unit}, {rate}, elapsed {Format(clock.Elapsed)}, left {left}  {detail}");
        if (newLine)
        {
            writer.WriteLine(line);
        }
        else
        {
            int width = Console.IsErrorRedirected ? 160 : Math.Max(Console.WindowWidth - 1, 40);
            writer.Write("\r" + (line.Length > width ? line[..width] : line.PadRight(width)));
        }

        writer.Flush();
    }

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
