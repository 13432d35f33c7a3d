namespace FreeEnergy.Core.Identities;

/// <summary>The inequalities an <see cref="EquilibriumCertificate"/> checks (theory.md §2, facts 6 and 7).</summary>
public enum CertificateKind
{
    /// <summary>
    /// Two points at one γ, λ_a ≠ λ_b: F_p ≤ R_q + λ_p·D_q + γ·C_q for p, q = a, b both ways, which together are
    /// the chord bounds D_b·(λ_b − λ_a) ≤ F_b − F_a ≤ D_a·(λ_b − λ_a) for λ_a &lt; λ_b.
    /// </summary>
    ChordLambda,

    /// <summary>Two points at one λ, γ_a ≠ γ_b: the same with C: C_b·(γ_b − γ_a) ≤ F_b − F_a ≤ C_a·(γ_b − γ_a).</summary>
    ChordGamma,

    /// <summary>
    /// Lower envelope: a point p with γ = 0 and a point q with γ &gt; 0 at another λ: F_p ≤ R_q + λ_p·D_q, because p
    /// minimises R + λ_p·D over all models, so no (D, R) of another point lies below p's tangent to the γ = 0 curve.
    /// (Pairs at the same λ are <see cref="ChordGamma"/>.)
    /// </summary>
    Envelope,

    /// <summary>D does not rise with λ at one γ: D_b ≤ D_a for λ_a &lt; λ_b; size (D_b − D_a)·(λ_b − λ_a) nats of F.</summary>
    DistortionMonotone,

    /// <summary>C does not rise with γ at one λ: C_b ≤ C_a for γ_a &lt; γ_b; size (C_b − C_a)·(γ_b − γ_a) nats of F.</summary>
    ClassificationMonotone,
}
