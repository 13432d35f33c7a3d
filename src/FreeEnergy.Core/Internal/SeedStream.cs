namespace FreeEnergy.Core.Internal;

/// <summary>
/// Every seed the library derives from a model's seed (<see cref="Models.ModelConfiguration.Seed"/>), in one place:
/// the reproducibility promise (same seed, same thread count, CPU ⇒ the same numbers) rests on these rules, and
/// records on disk depend on them bit for bit, so none may change. Each use gets its own private generator; the
/// rules keep the streams apart (different offsets, a multiplier for per-point streams, a salt for evaluation).
/// </summary>
/// <remarks>
/// With s the model's seed as an unsigned 64-bit integer (two's complement of the <see langword="long"/>), all
/// arithmetic wrapping modulo 2⁶⁴:
/// <list type="table">
/// <listheader><term>stream</term><description>seed</description></listheader>
/// <item><term>initial weights</term><description>s</description></item>
/// <item><term>training z-noise (the model's own generator)</term><description>s + 1</description></item>
/// <item><term>per-epoch shuffling of a trainer</term><description>t + 2, with t the trainer's shuffle seed or s</description></item>
/// <item><term>the polish's batch order (reset every polish epoch)</term><description>t + 3</description></item>
/// <item><term>the polish's z-noise (reset every polish epoch)</term><description>s + 4</description></item>
/// <item><term>evaluation z-noise (common random numbers)</term><description>s XOR 0x9E3779B97F4A7C15</description></item>
/// <item><term>a sweep point's training z-noise, point i, repair round k (0: the sweep)</term><description>s · 1 000 003 + i + k · 0x9E3779B97F4A</description></item>
/// <item><term>the encoder-fluctuation estimator's z-noise</term><description>s XOR 0x9E3779B97F4A7C15 (the evaluation stream)</description></item>
/// <item><term>the implicit estimator's z-noise, batch j</term><description>(31 · s + 17) + j, as a signed integer</description></item>
/// </list>
/// A process step trains with the trainer's streams (shuffling t + 2, the model's training z-noise) and measures
/// with the evaluation stream; a chain is a sequence of sweep points, so it uses theirs. A user-given seed (a
/// trainer's shuffle seed, an estimator's noise seed) replaces s for that stream only.
/// </remarks>
/// <param name="modelSeed">The model's seed.</param>
internal readonly struct SeedStream(long modelSeed)
{
    /// <summary>The salt of the evaluation stream (the 64-bit golden ratio).</summary>
    private const ulong EvaluationSalt = 0x9E3779B97F4A7C15UL;

    /// <summary>The multiplier that separates the streams of consecutive sweep points.</summary>
    private const ulong PointMultiplier = 1_000_003UL;

    /// <summary>The offset between repair rounds of a sweep point.</summary>
    private const ulong RoundOffset = 0x9E3779B97F4AUL;

    private ulong Root => unchecked((ulong)modelSeed);

    /// <summary>The seed of the initial weights: s.</summary>
    public ulong Weights => Root;

    /// <summary>The seed of the model's training z-noise generator: s + 1.</summary>
    public ulong TrainingNoise => unchecked(Root + 1);

    /// <summary>The seed of the polish's fixed z-noise: s + 4.</summary>
    public ulong PolishNoise => unchecked(Root + 4);

    /// <summary>The seed of the evaluation z-noise (common random numbers across evaluations): s XOR salt.</summary>
    public ulong EvaluationNoise => Root ^ EvaluationSalt;

    /// <summary>The seed of the encoder-fluctuation estimator's z-noise: the evaluation stream's.</summary>
    public ulong EncoderFluctuationNoise => EvaluationNoise;

    /// <summary>The base seed of the implicit estimator's z-noise: 31 · s + 17 (batch j uses base + j).</summary>
    public long ImplicitDerivativeNoise => unchecked((modelSeed * 31) + 17);

    /// <summary>The seed of a trainer's per-epoch shuffling: t + 2 (t: <paramref name="shuffleSeed"/> or s).</summary>
    /// <param name="shuffleSeed">The trainer's shuffle seed, or null for the model's seed.</param>
    public ulong Shuffling(long? shuffleSeed) => unchecked((ulong)(shuffleSeed ?? modelSeed) + 2);

    /// <summary>The seed of the polish's fixed batch order: t + 3 (t: <paramref name="shuffleSeed"/> or s).</summary>
    /// <param name="shuffleSeed">The trainer's shuffle seed, or null for the model's seed.</param>
    public ulong PolishOrder(long? shuffleSeed) => unchecked((ulong)(shuffleSeed ?? modelSeed) + 3);

    /// <summary>The seed of a sweep point's training z-noise: s · 1 000 003 + index + round · 0x9E3779B97F4A.</summary>
    /// <param name="index">The point's index in its plan.</param>
    /// <param name="round">0 for the sweep, k &gt; 0 for the k-th repair round (so a repair does not replay the noise it saw).</param>
    public ulong PointNoise(int index, int round) =>
        unchecked((Root * PointMultiplier) + (ulong)index + ((ulong)round * RoundOffset));
}
