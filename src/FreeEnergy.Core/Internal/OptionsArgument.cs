namespace FreeEnergy.Core.Internal;

/// <summary>
/// The one validation of a worker's options record, as seen from a <c>With…</c> method: the options' own problems,
/// reported as an argument error of the parameter just changed (the constructor that takes the options reports the
/// same problems as one <see cref="Diagnostics.FreeEnergyConfigurationException"/>).
/// </summary>
internal static class OptionsArgument
{
    /// <summary>Returns <paramref name="options"/> when <paramref name="problems"/> finds none.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The options have a problem; it names <paramref name="parameter"/> and <paramref name="value"/>.</exception>
    public static T Checked<T>(T options, Func<T, IReadOnlyList<string>> problems, string parameter, object? value)
    {
        var found = problems(options);
        return found.Count == 0 ? options : throw new ArgumentOutOfRangeException(parameter, value, string.Join(" ", found));
    }
}
