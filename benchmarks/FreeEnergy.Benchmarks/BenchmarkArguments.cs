using System.Globalization;

namespace FreeEnergy.Benchmarks;

/// <summary>The benchmarks' command-line options, <c>--name value</c> (import with <c>using static</c>).</summary>
internal static class BenchmarkArguments
{
    /// <summary>The value after the first <paramref name="name"/>, or null when it is absent or last.</summary>
    public static string? Option(string[] args, string name)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    /// <summary>The value after the first <paramref name="name"/> parsed invariantly, or <paramref name="fallback"/>.</summary>
    public static T Option<T>(string[] args, string name, T fallback)
        where T : IParsable<T> =>
        Option(args, name) is { } value ? T.Parse(value, CultureInfo.InvariantCulture) : fallback;

    /// <summary>The value after every <paramref name="name"/>, in order.</summary>
    public static IEnumerable<string> Options(string[] args, string name)
    {
        for (int i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] == name)
            {
                yield return args[i + 1];
            }
        }
    }
}
