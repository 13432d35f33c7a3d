using System.Globalization;
using System.Runtime.CompilerServices;
using FreeEnergy.Core.Models;

namespace FreeEnergy.Core.Internal;

/// <summary>
/// The argument checks of the library in one place: finite, positive, non-negative and in-range numbers, and the
/// one invalid value <see cref="Multipliers"/> can hold (<c>default</c>, λ = 0). Each check throws
/// <see cref="ArgumentOutOfRangeException"/> with the parameter name, the actual value and a message that says what
/// was expected ("The learning rate must be finite and &gt; 0."); <see cref="ProblemList"/> uses the same tests to
/// collect the problems of a settings record instead of throwing.
/// </summary>
internal static class Guard
{
    /// <summary>Whether <paramref name="value"/> is finite and &gt; 0.</summary>
    public static bool IsPositive(double value) => double.IsFinite(value) && value > 0;

    /// <summary>Whether <paramref name="value"/> is finite and ≥ 0.</summary>
    public static bool IsNonNegative(double value) => double.IsFinite(value) && value >= 0;

    /// <summary>Whether <paramref name="value"/> lies in the interval from <paramref name="low"/> to <paramref name="high"/> (NaN never does).</summary>
    public static bool IsInRange(double value, double low, double high, bool lowInclusive, bool highInclusive) =>
        (lowInclusive ? value >= low : value > low) && (highInclusive ? value <= high : value < high);

    /// <summary>The interval in the usual notation, e.g. "[0, 1)".</summary>
    public static string Interval(double low, double high, bool lowInclusive, bool highInclusive) =>
        string.Create(CultureInfo.InvariantCulture, $"{(lowInclusive ? '[' : '(')}{low:G6}, {high:G6}{(highInclusive ? ']' : ')')}");

    /// <summary>Throws unless <paramref name="value"/> is finite.</summary>
    /// <param name="value">The value.</param>
    /// <param name="subject">What the value is, as the message's subject ("The tolerance").</param>
    /// <param name="paramName">The parameter's name (filled in by the compiler).</param>
    public static double Finite(double value, string subject, [CallerArgumentExpression(nameof(value))] string? paramName = null) =>
        double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(paramName, value, subject + " must be finite.");

    /// <summary>Throws unless <paramref name="value"/> is finite and &gt; 0.</summary>
    /// <param name="value">The value.</param>
    /// <param name="subject">What the value is, as the message's subject.</param>
    /// <param name="hint">An optional sentence or parenthesis that says why or what to do, appended to the message.</param>
    /// <param name="paramName">The parameter's name (filled in by the compiler).</param>
    public static double Positive(double value, string subject, string? hint = null, [CallerArgumentExpression(nameof(value))] string? paramName = null) =>
        IsPositive(value) ? value : throw new ArgumentOutOfRangeException(paramName, value, Message(subject + " must be finite and > 0", hint));

    /// <summary>Throws unless <paramref name="value"/> is finite and ≥ 0.</summary>
    /// <param name="value">The value.</param>
    /// <param name="subject">What the value is, as the message's subject.</param>
    /// <param name="hint">An optional sentence or parenthesis that says why or what to do, appended to the message.</param>
    /// <param name="paramName">The parameter's name (filled in by the compiler).</param>
    public static double NonNegative(double value, string subject, string? hint = null, [CallerArgumentExpression(nameof(value))] string? paramName = null) =>
        IsNonNegative(value) ? value : throw new ArgumentOutOfRangeException(paramName, value, Message(subject + " must be finite and ≥ 0", hint));

    /// <summary>
    /// Throws unless <paramref name="value"/> lies in the interval (bounds inclusive or not as given); the message
    /// names the interval, e.g. "β₁ must be in [0, 1).", followed by <paramref name="hint"/> when given.
    /// </summary>
    /// <param name="value">The value.</param>
    /// <param name="low">The lower bound.</param>
    /// <param name="high">The upper bound.</param>
    /// <param name="lowInclusive">Whether <paramref name="low"/> itself is allowed.</param>
    /// <param name="highInclusive">Whether <paramref name="high"/> itself is allowed.</param>
    /// <param name="subject">What the value is, as the message's subject.</param>
    /// <param name="hint">An optional sentence that says why or what to do.</param>
    /// <param name="paramName">The parameter's name (filled in by the compiler).</param>
    public static double InRange(double value, double low, double high, bool lowInclusive, bool highInclusive, string subject, string? hint = null, [CallerArgumentExpression(nameof(value))] string? paramName = null) =>
        IsInRange(value, low, high, lowInclusive, highInclusive)
            ? value
            : throw new ArgumentOutOfRangeException(paramName, value, Message($"{subject} must be in {Interval(low, high, lowInclusive, highInclusive)}", hint));

    /// <summary>"requirement." or "requirement hint." (a hint in parentheses) or "requirement. Hint." (a sentence).</summary>
    private static string Message(string requirement, string? hint) =>
        hint is null ? requirement + "." : hint.StartsWith('(') ? $"{requirement} {hint}." : $"{requirement}. {hint}";

    /// <summary>
    /// Rejects <c>default(Multipliers)</c> (λ = 0), the one invalid value the type can hold, with the parameter's name:
    /// every public entry that takes multipliers calls this once, at the boundary.
    /// </summary>
    /// <param name="multipliers">The multipliers.</param>
    /// <param name="paramName">The parameter's name (filled in by the compiler).</param>
    public static Multipliers Valid(Multipliers multipliers, [CallerArgumentExpression(nameof(multipliers))] string? paramName = null) =>
        multipliers.Lambda > 0
            ? multipliers
            : throw new ArgumentOutOfRangeException(paramName, multipliers, string.Create(CultureInfo.InvariantCulture, $"λ must be > 0; got {multipliers.Lambda:R} (use new Multipliers(λ, γ), not default)."));
}
