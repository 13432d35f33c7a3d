using System.Globalization;

namespace FreeEnergy.Core.Processes;

/// <summary>
/// The constants of the authors' transfer controller (theory.md §4; their final code): λ moves toward
/// <see cref="LambdaMin"/> and γ rises by <see cref="GammaIncrement"/> on every extra pass while the mixture's
/// C is still ≥ C₀; every pass trains <see cref="EpochsPerPass"/> epochs, each with a fresh Adam optimizer
/// (<see cref="LearningRate"/>, batch <see cref="BatchSize"/>). Their loop has no cap; ours stops a step after
/// <see cref="MaxPassesPerStep"/> passes and reports it.
/// </summary>
public sealed record AuthorsControllerOptions
{
    /// <summary>Creates validated options (the defaults are the authors' values, plus a cap of 20 passes).</summary>
    /// <param name="lambdaMin">The value λ moves toward, &gt; 0.</param>
    /// <param name="gammaIncrement">The rise of γ per extra pass, &gt; 0.</param>
    /// <param name="epochsPerPass">Epochs per pass, ≥ 1.</param>
    /// <param name="maxPassesPerStep">The cap on passes per step, ≥ 1.</param>
    /// <param name="learningRate">Adam's learning rate, &gt; 0.</param>
    /// <param name="batchSize">The batch size, ≥ 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public AuthorsControllerOptions(double lambdaMin = 0.5, double gammaIncrement = 0.1, int epochsPerPass = 2, int maxPassesPerStep = 20, double learningRate = 1e-3, int batchSize = 64)
    {
        Positive(lambdaMin, nameof(lambdaMin));
        Positive(gammaIncrement, nameof(gammaIncrement));
        Positive(learningRate, nameof(learningRate));
        ArgumentOutOfRangeException.ThrowIfLessThan(epochsPerPass, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPassesPerStep, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        (LambdaMin, GammaIncrement, EpochsPerPass, MaxPassesPerStep, LearningRate, BatchSize) = (lambdaMin, gammaIncrement, epochsPerPass, maxPassesPerStep, learningRate, batchSize);
    }

    /// <summary>The value λ moves toward (authors: 0.5).</summary>
    public double LambdaMin { get; }

    /// <summary>The rise of γ per extra pass (authors: 0.1).</summary>
    public double GammaIncrement { get; }

    /// <summary>Epochs per pass (authors: 2).</summary>
    public int EpochsPerPass { get; }

    /// <summary>The cap on passes per step (the authors have none).</summary>
    public int MaxPassesPerStep { get; }

    /// <summary>Adam's learning rate (authors: 1e-3).</summary>
    public double LearningRate { get; }

    /// <summary>The batch size (authors: 64).</summary>
    public int BatchSize { get; }

    private static void Positive(double value, string name)
    {
        if (!(double.IsFinite(value) && value > 0))
        {
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture, $"{name} must be finite and > 0; got {value:R}."));
        }
    }
}
