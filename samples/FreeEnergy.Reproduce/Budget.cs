namespace FreeEnergy.Reproduce;

/// <summary>
/// How much work each experiment gets. <see cref="Default"/> was sized for about 10 minutes of <c>all</c> on a
/// 2-core CPU (now 10–12 minutes: the governed transfer and its equal-compute baseline take longer, docs/reproducing.md) with the MLP on the shipped split (5,000 images: 4,000 training, 1,000 evaluation; about 2 s per
/// epoch at K = 2 on one torch thread); <see cref="Quick"/> for smoke tests.
/// </summary>
/// <param name="Examples">Images drawn (stratified) from the data before the 80/20 split; null keeps all.</param>
/// <param name="Lambdas">λ of the sweep, high to low (one warm-started chain per γ).</param>
/// <param name="Gammas">γ of the sweep.</param>
/// <param name="StartEpochs">
/// Epochs of the shared start: one model relaxed at the first λ and the middle γ from which every chain of the sweep
/// starts (<c>SharedStart</c>; docs/surface.md says why).
/// </param>
/// <param name="SweepMaxEpochs">Epoch cap per sweep point (rule: relative change of J ≤ 2·10⁻³ over 3 epochs).</param>
/// <param name="EquilibriumMaxEpochs">Epoch cap of the training to equilibrium before each process.</param>
/// <param name="RelaxMaxEpochs">Epoch cap of each relaxation inside a process.</param>
/// <param name="IsoSteps">Steps of λ from 4 to 0.5 (geometric) in the iso-classification process.</param>
/// <param name="TransferSteps">Steps of r from 0 to 1 in transfer.</param>
/// <param name="MaxCorrections">Corrections per process step.</param>
/// <param name="AuthorsEpochsPerPass">Epochs per pass of the authors' transfer controller (theirs: 2).</param>
/// <param name="AuthorsMaxPasses">
/// The cap on the authors' controller's passes per step of r (theirs: none), so that it costs at most
/// <paramref name="TransferSteps"/> × <paramref name="AuthorsMaxPasses"/> × <paramref name="AuthorsEpochsPerPass"/> epochs.
/// Fine-tuning, the other comparison, gets as many epochs as the transfer at constant C took.
/// </param>
/// <param name="RepairRounds">Rounds of the certificate's repair loop after the sweep.</param>
/// <param name="RepairPoints">Re-relaxations of failed points in total (each at most <paramref name="SweepMaxEpochs"/> epochs).</param>
/// <param name="EndpointEpochs">Epochs of training on at the final step's fixed multipliers after each process, to test whether it ended at an equilibrium.</param>
internal sealed record Budget(
    int? Examples,
    double[] Lambdas,
    double[] Gammas,
    int StartEpochs,
    int SweepMaxEpochs,
    int EquilibriumMaxEpochs,
    int RelaxMaxEpochs,
    int IsoSteps,
    int TransferSteps,
    int MaxCorrections,
    int AuthorsEpochsPerPass,
    int AuthorsMaxPasses,
    int RepairRounds,
    int RepairPoints,
    int EndpointEpochs)
{
    /// <summary>About 10 minutes of <c>all</c> on a 2-core CPU (MLP, shipped split).</summary>
    public static Budget Default { get; } = new(5_000, [4, 2, 1, 0.5], [0, 1, 10], 90, 30, 40, 4, 5, 4, 2, 2, 3, 1, 4, 10);

    /// <summary>Seconds: for smoke tests.</summary>
    public static Budget Quick { get; } = new(1_000, [4, 1], [0, 10], 2, 2, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1);
}
