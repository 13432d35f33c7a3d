using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace FreeEnergy.ClusterSweep;

/// <summary>
/// Compares two surface records files point by point, bit for bit: every field of every record (functionals and
/// their statistics, multipliers, epochs, convergence, warm-start links, seeds, …) as written, so two doubles are equal
/// only when their bits are (the records hold the shortest round-trip text of each double), and the bytes of each
/// point's checkpoint (the model's weights). Not compared: the wall-clock <c>seconds</c>, and the checkpoint's file
/// name (each records file has its own models folder).
/// </summary>
internal static class RecordComparison
{
    /// <summary>The fields that may differ between two runs of the same plan: wall-clock time and the checkpoint's name.</summary>
    private static readonly string[] Ignored = ["seconds", "checkpoint"];

    /// <summary>The differences of <paramref name="actual"/> from <paramref name="expected"/>, one line each; empty when they agree.</summary>
    /// <param name="actual">A records file (the merged shards).</param>
    /// <param name="actualName">What <paramref name="actual"/> is, in the lines ("merged").</param>
    /// <param name="expected">The reference records file (a serial run).</param>
    /// <param name="expectedName">What <paramref name="expected"/> is ("serial").</param>
    public static IReadOnlyList<string> Differences(string actual, string actualName, string expected, string expectedName)
    {
        var left = Read(actual);
        var right = Read(expected);
        var differences = new List<string>();
        foreach (int index in left.Keys.Union(right.Keys).Order())
        {
            if (!left.TryGetValue(index, out var a))
            {
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"point {index} {Where(right[index])}: in the {expectedName} records only"));
                continue;
            }

            if (!right.TryGetValue(index, out var b))
            {
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"point {index} {Where(a)}: in the {actualName} records only"));
                continue;
            }

            foreach (string field in a.Select(p => p.Key).Union(b.Select(p => p.Key)).Where(f => !Ignored.Contains(f)))
            {
                string x = Text(a[field]);
                string y = Text(b[field]);
                if (x != y)
                {
                    differences.Add(string.Create(CultureInfo.InvariantCulture, $"point {index} {Where(a)}: {field} {x} ({actualName}) vs {y} ({expectedName})"));
                }
            }

            string? problem = CompareCheckpoints(actual, a, actualName, expected, b, expectedName);
            if (problem is not null)
            {
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"point {index} {Where(a)}: {problem}"));
            }
        }

        return differences;
    }

    /// <summary>The records of a file by plan index, as JSON objects.</summary>
    /// <exception cref="InvalidDataException">A line is not a JSON object with an integer index, or an index appears twice.</exception>
    private static Dictionary<int, JsonObject> Read(string path)
    {
        var records = new Dictionary<int, JsonObject>();
        int line = 0;
        foreach (string text in File.ReadLines(path))
        {
            line++;
            if (text.Length == 0)
            {
                continue;
            }

            JsonObject record;
            int index;
            try
            {
                record = JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException("not a JSON object");
                index = record["index"]?.GetValue<int>() ?? throw new InvalidDataException("no index");
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException or InvalidDataException)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"'{path}' line {line} is not a surface record ({e.Message})."), e);
            }

            if (!records.TryAdd(index, record))
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"'{path}' line {line}: point {index} appears a second time."));
            }
        }

        return records;
    }

    /// <summary>Null when both records have no checkpoint or checkpoints of the same bytes; else what differs.</summary>
    private static string? CompareCheckpoints(string actualFile, JsonObject a, string actualName, string expectedFile, JsonObject b, string expectedName)
    {
        string? x = Checkpoint(actualFile, a);
        string? y = Checkpoint(expectedFile, b);
        if (x is null && y is null)
        {
            return null;
        }

        if (x is null || y is null)
        {
            return $"a checkpoint in the {(x is null ? expectedName : actualName)} records only";
        }

        string? missing = new[] { x, y }.FirstOrDefault(p => !File.Exists(p));
        if (missing is not null)
        {
            return $"the checkpoint '{missing}' is missing";
        }

        return Hash(x) == Hash(y) ? null : $"the checkpoints differ (model weights): '{x}' vs '{y}'";
    }

    private static string? Checkpoint(string recordsFile, JsonObject record) =>
        record["checkpoint"]?.GetValue<string>() is { } relative ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(recordsFile))!, relative) : null;

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string Text(JsonNode? node) => node?.ToJsonString() ?? "(absent)";

    private static string Where(JsonObject record) => $"(λ {Text(record["lambda"])}, γ {Text(record["gamma"])})";
}
