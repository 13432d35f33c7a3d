using System.Globalization;
using System.Text.Json;
using FreeEnergy.Core.Identities;
using FreeEnergy.Core.Surface;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace FreeEnergy.Reproduce;

/// <summary>
/// The equilibrium certificate of the surface as the program shows it: Spectre.Console tables and
/// <see cref="FileName"/> in the output folder.
/// </summary>
internal static class Certificates
{
    /// <summary>The certificate file written beside surface.jsonl.</summary>
    public const string FileName = "certificate.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>
    /// The points to mark as failed on the plots, with their worst violation in nats: from <see cref="FileName"/>
    /// in <paramref name="directory"/> when it exists (the last certificate written, the one on the training data
    /// when the records have it, with paired standard errors), else from the records alone (unpaired standard
    /// errors: the same violations, judged more leniently).
    /// </summary>
    public static (Dictionary<int, double> Failed, string Data) FailedPoints(string directory, EquilibriumSurface surface)
    {
        string path = Path.Combine(directory, FileName);
        if (File.Exists(path))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var certificates = document.RootElement.GetProperty("certificates");
            var last = certificates[certificates.GetArrayLength() - 1];
            return (last.GetProperty("points").EnumerateArray()
                .Where(p => p.GetProperty("status").GetString() == nameof(PointStatus.Fail))
                .ToDictionary(p => p.GetProperty("index").GetInt32(), p => p.GetProperty("worstViolation").GetDouble()), last.GetProperty("data").GetString() ?? string.Empty);
        }

        var certificate = surface.Certify(surface.HasTrainingData ? CertificateData.Training : CertificateData.Evaluation);
        return (certificate.Points.Where(p => p.Status == PointStatus.Fail).ToDictionary(p => p.Index, p => p.WorstViolation), certificate.Data.ToString());
    }

    /// <summary>A title line, a table of the points, one of the significant violations (at most <paramref name="maxViolations"/>), and what was checked.</summary>
    public static IRenderable Table(EquilibriumCertificate certificate, IReadOnlyList<SurfaceRecord> records, string title, int maxViolations = 12)
    {
        var byIndex = records.ToDictionary(r => r.Index);
        var parts = new List<IRenderable> { new Text(string.Create(CultureInfo.InvariantCulture, $"{title}: {certificate}")) };
        var points = NumberTable("point", "λ", "γ", "F (nats)", "verdict", "worst (nats)", "worst/|F|", "checked");
        foreach (var p in certificate.Points)
        {
            double f = byIndex.TryGetValue(p.Index, out var r) ? r.ToCertificatePoint(certificate.Data).FreeEnergy : double.NaN;
            AddRow(points, Format(p.Index), Format(p.Lambda), Format(p.Gamma), f.ToString("F3", CultureInfo.InvariantCulture), p.Status.ToString(), p.WorstViolation.ToString("F3", CultureInfo.InvariantCulture), p.WorstRelativeViolation.ToString("P2", CultureInfo.InvariantCulture), Format(p.Checked));
        }

        parts.Add(points);
        foreach (var p in certificate.Points.Where(p => p.Status == PointStatus.Invalid && p.Reason is not null))
        {
            parts.Add(new Text(string.Create(CultureInfo.InvariantCulture, $"left out: point {p.Index} (λ = {Format(p.Lambda)}, γ = {Format(p.Gamma)}): {p.Reason}")));
        }

        var significant = certificate.SignificantViolations;
        if (significant.Count > 0)
        {
            parts.Add(new Text(string.Create(CultureInfo.InvariantCulture, $"significant violations ({significant.Count}{(significant.Count > maxViolations ? $", largest {maxViolations} shown" : string.Empty)}):")));
            var violations = NumberTable("kind", "point", "partner", "size (nats)", "size/|F|", "SE", "drift");
            foreach (var v in significant.Take(maxViolations))
            {
                AddRow(violations, v.Kind.ToString(), Describe(v.Point, byIndex), Describe(v.Partner, byIndex), v.Size.ToString("F3", CultureInfo.InvariantCulture), v.RelativeSize.ToString("P2", CultureInfo.InvariantCulture), Optional(v.StandardError), Optional(v.Drift));
            }

            parts.Add(violations);
        }

        string notApplicable = string.Join(", ", certificate.NotApplicable);
        parts.Add(new Text(string.Create(CultureInfo.InvariantCulture, $"checked: {string.Join(", ", certificate.Checked.Select(c => $"{c.Key} {c.Value}"))}{(notApplicable.Length > 0 ? $"; not applicable: {notApplicable}" : string.Empty)}")));
        return new Rows(parts);
    }

    /// <summary>Adds a row of plain text (no markup).</summary>
    private static void AddRow(Table table, params string[] cells) => table.AddRow([.. cells.Select(c => new Text(c))]);

    /// <summary>A table whose first column is left-aligned and the others right-aligned (numbers).</summary>
    private static Table NumberTable(params string[] headers)
    {
        var table = new Table().Border(TableBorder.Simple);
        for (int c = 0; c < headers.Length; c++)
        {
            table.AddColumn(new TableColumn(Markup.Escape(headers[c])) { Alignment = c == 0 ? Justify.Left : Justify.Right });
        }

        return table;
    }

    /// <summary>Writes the certificates (and the repair, when one ran) to <see cref="FileName"/> in <paramref name="directory"/>, atomically.</summary>
    public static string Write(string directory, IReadOnlyList<EquilibriumCertificate> certificates, RepairReport? repair, EquilibriumCertificate? beforeRepair)
    {
        var document = new
        {
            certificates = certificates.Select(Describe).ToArray(),
            repair = repair is null ? null : new
            {
                data = repair.Data.ToString(),
                stop = repair.Stop.ToString(),
                seconds = repair.Elapsed.TotalSeconds,
                epochs = repair.Epochs,
                before = beforeRepair is null ? null : Describe(beforeRepair),
                attempts = repair.Attempts,
            },
        };
        string path = Path.Combine(directory, FileName);
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(document, Json));
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    private static object Describe(EquilibriumCertificate c) => new
    {
        data = c.Data.ToString(),
        outcome = c.Outcome.ToString(),
        inequalities = c.Inequalities.Count,
        violated = c.Violations.Count,
        significant = c.SignificantViolations.Count,
        largestViolation = c.LargestViolation,
        largestRelativeViolation = c.LargestRelativeViolation,
        failedPoints = c.FailedPoints,
        @checked = c.Checked.ToDictionary(k => k.Key.ToString(), k => k.Value),
        notApplicable = c.NotApplicable.Select(k => k.ToString()).ToArray(),
        sigmas = c.Options.Sigmas,
        points = c.Points.Select(p => new { p.Index, p.Lambda, p.Gamma, status = p.Status.ToString(), p.WorstViolation, p.WorstRelativeViolation, p.Checked, p.Reason }).ToArray(),
        violations = c.Violations.Select(v => new { kind = v.Kind.ToString(), v.Point, v.Partner, v.Size, v.RelativeSize, v.StandardError, v.Paired, v.Drift, v.Significant }).ToArray(),
    };

    private static string Describe(int index, Dictionary<int, SurfaceRecord> byIndex) =>
        byIndex.TryGetValue(index, out var r) ? string.Create(CultureInfo.InvariantCulture, $"{index} ({r.Lambda:G3}, {r.Gamma:G3})") : Format(index);

    private static string Optional(double? value) => value is double v ? v.ToString("F3", CultureInfo.InvariantCulture) : "n/a";

    private static string Format(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    private static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);
}
