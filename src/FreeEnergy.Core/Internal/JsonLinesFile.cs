using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using FreeEnergy.Core.Surface;

namespace FreeEnergy.Core.Internal;

/// <summary>Reads and atomically rewrites files of one JSON object per line.</summary>
internal static class JsonLinesFile
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { SurfaceRecordContract } },
    };

    /// <summary>The fields a diverged surface record leaves out: it has no functionals (and the file no non-finite number).</summary>
    private static readonly HashSet<string> DivergedOmits = ["rate", "distortion", "classification", "accuracy", "freeEnergy", "epochs", "converged", "repairs"];

    /// <summary>
    /// A finished <see cref="SurfaceRecord"/> is written without <c>status</c> (as before version 3); a diverged one
    /// with <c>"status": "diverged"</c> and without the functionals.
    /// </summary>
    private static void SurfaceRecordContract(JsonTypeInfo info)
    {
        if (info.Type != typeof(SurfaceRecord))
        {
            return;
        }

        foreach (var property in info.Properties)
        {
            if (property.Name == "status")
            {
                property.ShouldSerialize = (record, _) => ((SurfaceRecord)record).IsDiverged;
            }
            else if (DivergedOmits.Contains(property.Name))
            {
                property.ShouldSerialize = (record, _) => !((SurfaceRecord)record).IsDiverged;
            }
        }
    }

    /// <summary>
    /// Reads every non-blank line of <paramref name="path"/> as a <typeparamref name="T"/>, checking each with
    /// <paramref name="validate"/> (which returns a problem or null).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="validate">Checks one item; returns a problem or null.</param>
    /// <param name="check">Optional: checks an item that passed <paramref name="validate"/> together with its JSON (for fields that must be present); returns a problem or null.</param>
    /// <exception cref="InvalidDataException">A line is not JSON of the expected kind; the message names the file and line.</exception>
    public static List<T> Read<T>(string path, Func<T, string?> validate, Func<T, JsonElement, string?>? check = null)
    {
        var result = new List<T>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            T? item;
            try
            {
                item = JsonSerializer.Deserialize<T>(line, Options);
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"'{path}' line {lineNumber} is not a valid record: {ex.Message}", ex);
            }

            string? problem = item is null ? "the line is null" : validate(item);
            if (problem is null && check is not null)
            {
                using var json = JsonDocument.Parse(line);
                problem = check(item!, json.RootElement);
            }

            if (problem is not null)
            {
                throw new InvalidDataException($"'{path}' line {lineNumber}: {problem}");
            }

            result.Add(item!);
        }

        return result;
    }

    /// <summary>Writes all <paramref name="items"/> to a temporary file beside <paramref name="path"/>, then moves it into place.</summary>
    public static void WriteAtomically<T>(string path, IEnumerable<T> items)
    {
        string full = Path.GetFullPath(path);
        string? directory = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        string temporary = full + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
        {
            foreach (var item in items)
            {
                writer.Write(JsonSerializer.Serialize(item, Options));
                writer.Write('\n');
            }

            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, full, overwrite: true);
    }
}
