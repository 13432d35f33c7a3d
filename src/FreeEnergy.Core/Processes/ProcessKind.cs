namespace FreeEnergy.Core.Processes;

/// <summary>Which procedure produced a trajectory.</summary>
public enum ProcessKind
{
    /// <summary>A user schedule of (λ, γ), relaxed at every point, nothing held.</summary>
    Schedule,

    /// <summary>Hold C while one multiplier is driven.</summary>
    IsoClassification,

    /// <summary>Hold R while one multiplier is driven.</summary>
    IsoRate,

    /// <summary>Hold D while one multiplier is driven.</summary>
    IsoDistortion,

    /// <summary>Source → target through the task mixture p_r, holding the mixture's C at the source value C₀ from both sides.</summary>
    Transfer,

    /// <summary>The authors' transfer controller (theory.md §4): λ toward λ_min, γ raised by a fixed increment while C ≥ C₀, with a cap on its loop.</summary>
    AuthorsController,

    /// <summary>The baseline: train directly on the target at fixed multipliers.</summary>
    FineTuning,
}
