using FreeEnergy.Core.Surface;

namespace FreeEnergy.Core.Identities;

/// <summary>Which functionals of a surface's records an <see cref="EquilibriumCertificate"/> checks.</summary>
public enum CertificateData
{
    /// <summary>The evaluation-data functionals (the records' top-level R, D, C).</summary>
    Evaluation,

    /// <summary>
    /// The training-data functionals (<see cref="SurfaceRecord.TrainingStatistics"/>, else
    /// <see cref="SurfaceRecord.Training"/>): the data J was minimised on, where the inequalities are rigorous.
    /// </summary>
    Training,
}
