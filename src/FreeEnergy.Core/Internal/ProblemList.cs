using System.Globalization;
using FreeEnergy.Core.Diagnostics;

namespace FreeEnergy.Core.Internal;

/// <summary>
/// Collects the problems of a settings record, one sentence each ("LearningRate must be finite and &gt; 0; it is
/// -1."), with the tests of <see cref="Guard"/>; <see cref="ThrowIfAny"/> reports them all at once as a
/// <see cref="FreeEnergyConfigurationException"/>.
/// </summary>
internal sealed class ProblemList
{
    private readonly List<string> problems = [];

    /// <summary>The problems found so far.</summary>
    public IReadOnlyList<string> Problems => problems;

    /// <summary>Formats a number for a message (G6, invariant culture).</summary>
    public static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>Adds <paramref name="problem"/> unless <paramref name="ok"/>.</summary>
    public ProblemList Require(bool ok, string problem)
    {
        if (!ok)
        {
            problems.Add(problem);
        }

        return this;
    }

    /// <summary>Requires <paramref name="value"/> finite and &gt; 0.</summary>
    public ProblemList Positive(double value, string name) =>
        Require(Guard.IsPositive(value), $"{name} must be finite and > 0; it is {Format(value)}.");

    /// <summary>Requires <paramref name="value"/> finite and ≥ 0.</summary>
    public ProblemList NonNegative(double value, string name) =>
        Require(Guard.IsNonNegative(value), $"{name} must be finite and ≥ 0; it is {Format(value)}.");

    /// <summary>Requires <paramref name="value"/> ≥ <paramref name="minimum"/>.</summary>
    public ProblemList AtLeast(long value, long minimum, string name) =>
        Require(value >= minimum, string.Create(CultureInfo.InvariantCulture, $"{name} must be ≥ {minimum}; it is {value}."));

    /// <summary>Requires <paramref name="value"/> in the interval given.</summary>
    public ProblemList InRange(double value, double low, double high, bool lowInclusive, bool highInclusive, string name) =>
        Require(Guard.IsInRange(value, low, high, lowInclusive, highInclusive), $"{name} must be in {Guard.Interval(low, high, lowInclusive, highInclusive)}; it is {Format(value)}.");

    /// <summary>Adds the problems of a nested settings record, each prefixed with its name ("Convergence.Window …").</summary>
    public ProblemList Nested(IEnumerable<string>? nested, string name)
    {
        if (nested is null)
        {
            problems.Add($"{name} must not be null.");
            return this;
        }

        problems.AddRange(nested.Select(p => name + "." + p));
        return this;
    }

    /// <summary>Throws <see cref="FreeEnergyConfigurationException"/> listing every problem, if there is any.</summary>
    public void ThrowIfAny()
    {
        if (problems.Count > 0)
        {
            throw new FreeEnergyConfigurationException(problems.ToArray());
        }
    }
}
