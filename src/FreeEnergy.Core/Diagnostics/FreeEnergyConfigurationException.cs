namespace FreeEnergy.Core.Diagnostics;

/// <summary>
/// Thrown by a builder's <c>Build()</c> when the configuration has one or more problems. Every problem
/// found is listed at once in <see cref="Problems"/> and in the message; nothing has been allocated.
/// </summary>
public sealed class FreeEnergyConfigurationException : ArgumentException
{
    /// <summary>Creates the exception from the list of problems found.</summary>
    /// <param name="problems">One human-readable sentence per problem; at least one.</param>
    public FreeEnergyConfigurationException(IReadOnlyList<string> problems)
        : base(Format(problems))
    {
        Problems = problems;
    }

    /// <summary>Creates the exception with a single message.</summary>
    public FreeEnergyConfigurationException()
        : this(["The configuration is invalid."])
    {
    }

    /// <summary>Creates the exception with a single problem.</summary>
    public FreeEnergyConfigurationException(string message)
        : this([message])
    {
    }

    /// <summary>Creates the exception with a single problem and an inner exception.</summary>
    public FreeEnergyConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    /// <summary>Every problem found, one sentence each.</summary>
    public IReadOnlyList<string> Problems { get; }

    private static string Format(IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        return problems.Count == 1
            ? "Invalid configuration: " + problems[0]
            : $"Invalid configuration ({problems.Count} problems):" + string.Concat(problems.Select(p => Environment.NewLine + "  - " + p));
    }
}
