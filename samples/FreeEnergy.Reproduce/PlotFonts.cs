using System.Reflection;
using ScottPlot;
using SkiaSharp;

namespace FreeEnergy.Reproduce;

/// <summary>
/// The font of every text of every plot: DejaVu Sans (regular and bold), embedded in this assembly (Fonts/, with
/// its licence), whatever fonts the machine has. SkiaSharp's Linux build without dependencies looks for fonts only
/// under /usr/share/fonts; a machine with none there (a fresh Debian with only the .NET SDK) got plots with lines
/// and markers but no title, labels, ticks or legend, silently. <see cref="Use"/> puts a resolver first in
/// ScottPlot's list that answers every font name with the embedded face.
/// </summary>
internal static class PlotFonts
{
    /// <summary>The family name of the embedded font.</summary>
    public const string Family = "DejaVu Sans";

    private static readonly Lazy<SKData> RegularData = new(() => Load("DejaVuSans.ttf"));
    private static readonly Lazy<SKData> BoldData = new(() => Load("DejaVuSans-Bold.ttf"));
    private static readonly Lock Gate = new();
    private static bool installed;

    /// <summary>A new typeface of the embedded font (the caller disposes it).</summary>
    public static SKTypeface Typeface(bool bold) =>
        SKTypeface.FromData(bold ? BoldData.Value : RegularData.Value)
        ?? throw new InvalidDataException($"the embedded font {(bold ? "DejaVuSans-Bold.ttf" : "DejaVuSans.ttf")} does not load as a typeface.");

    /// <summary>Makes ScottPlot draw every text with the embedded font (once per process; call before the first plot is made).</summary>
    public static void Use()
    {
        lock (Gate)
        {
            if (installed)
            {
                return;
            }

            ScottPlot.Fonts.FontResolvers.Insert(0, new EmbeddedFontResolver());
            ScottPlot.Fonts.Default = Family;
            ScottPlot.Fonts.Sans = Family;
            ScottPlot.Fonts.Serif = Family;
            ScottPlot.Fonts.Monospace = Family;
            installed = true;
        }
    }

    private static SKData Load(string file)
    {
        string name = $"FreeEnergy.Reproduce.Fonts.{file}";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidDataException($"the font resource '{name}' is missing from {Assembly.GetExecutingAssembly().GetName().Name} (a build without samples/FreeEnergy.Reproduce/Fonts/).");
        return SKData.Create(stream);
    }

    /// <summary>Answers every font name: bold for semi-bold and heavier, regular otherwise (no italic face is shipped).</summary>
    private sealed class EmbeddedFontResolver : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) => Typeface(weight >= FontWeight.SemiBold);

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) => Typeface(bold);
    }
}
