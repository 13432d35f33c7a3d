using System.Globalization;

namespace FreeEnergy.Datasets.Internal;

/// <summary>Finds a dataset's files in a directory given by the user. Never downloads anything.</summary>
internal static class FileLocator
{
    /// <summary>
    /// For each required file (given as alternative names, the first one being the canonical name), the path
    /// of the first alternative that exists in the first candidate directory that holds all required files.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No candidate directory exists.</exception>
    /// <exception cref="FileNotFoundException">Some files are missing; the message lists them, all expected names and the directories searched.</exception>
    public static string[] Locate(IReadOnlyList<string> directories, IReadOnlyList<IReadOnlyList<string>> files, string dataset, string hint)
    {
        var existing = directories.Select(Path.GetFullPath).Where(Directory.Exists).ToList();
        string expected = string.Join(", ", files.Select(Describe));
        string given = Path.GetFullPath(directories[0]);
        if (existing.Count == 0)
        {
            throw new DirectoryNotFoundException(Format(
                $"Cannot load {dataset}: the directory '{given}' does not exist. It should hold {expected}. This library never downloads data. {hint}"));
        }

        List<string>? firstMissing = null;
        foreach (string directory in existing)
        {
            var found = files.Select(alternatives => alternatives.Select(name => Path.Combine(directory, name)).FirstOrDefault(File.Exists)).ToArray();
            if (found.All(f => f is not null))
            {
                return found!;
            }

            firstMissing ??= files.Where((_, i) => found[i] is null).Select(Describe).ToList();
        }

        string searched = string.Join(" and ", existing.Select(d => $"'{d}'"));
        string problem = firstMissing!.Count == files.Count
            ? Format($"none of the expected files ({expected}) is in {searched}")
            : Format($"{string.Join(", ", firstMissing)} not found in {searched} (expected files: {expected})");
        throw new FileNotFoundException(
            Format($"Cannot load {dataset}: {problem}. This library never downloads data. {hint}"),
            Path.Combine(existing[0], files.First(f => f.All(name => !File.Exists(Path.Combine(existing[0], name))))[0]));
    }

    private static string Describe(IReadOnlyList<string> alternatives) =>
        alternatives.Count == 1 ? alternatives[0] : $"{alternatives[0]} (or {string.Join(" or ", alternatives.Skip(1))})";

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
