namespace FreeEnergy.Core.Processes;

/// <summary>How a constrained process holds its constraint.</summary>
public enum ProcessMethod
{
    /// <summary>
    /// The default: the driven variable ramps every optimisation step, a <see cref="Training.ConstraintController"/>
    /// adapts the free multiplier while the network trains, and every recorded step is gated on held-out checks
    /// (see <see cref="RampProtocol"/>).
    /// </summary>
    Controlled,

    /// <summary>
    /// Relax-then-correct: jump to the next step, predict the free multiplier from the derivative estimator, relax
    /// with the trainer, measure, and correct by Newton/secant steps (each followed by a relaxation) up to a cap.
    /// </summary>
    PredictorCorrector,
}
