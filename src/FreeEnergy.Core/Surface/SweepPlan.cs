using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;

namespace FreeEnergy.Core.Surface;

/// <summary>
/// The multipliers of a sweep, organised in <em>chains</em>: within a chain every point warm-starts from
/// the nearest finished point of the same chain (continuation); each chain starts from the model's initial
/// weights. Warm starts never cross chains, so a sweep split into shards of whole chains reproduces the
/// unsharded sweep exactly (same seeds, same thread count, CPU).
/// </summary>
public sealed class SweepPlan
{
    private readonly IReadOnlyList<IReadOnlyList<Multipliers>> allChains;

    private SweepPlan(IReadOnlyList<IReadOnlyList<Multipliers>> allChains, int shardIndex, int shardCount, string fingerprint)
    {
        this.allChains = allChains;
        Chains = [.. allChains.Where((_, i) => i % shardCount == shardIndex)];
        ShardIndex = shardIndex;
        ShardCount = shardCount;
        Fingerprint = fingerprint;
    }

    /// <summary>The chains this plan runs (for a shard: only its own chains), each in its order of continuation.</summary>
    public IReadOnlyList<IReadOnlyList<Multipliers>> Chains { get; }

    /// <summary>Which shard this is (0 for an unsharded plan).</summary>
    public int ShardIndex { get; }

    /// <summary>How many shards the full plan was split into (1 for an unsharded plan).</summary>
    public int ShardCount { get; }

    /// <summary>A hash of the full (unsharded) plan: records of different plans are never merged.</summary>
    public string Fingerprint { get; }

    /// <summary>Every point of this plan with its global index and chain, in the order they run.</summary>
    public IReadOnlyList<PlannedPoint> Points => [.. Enumerate()];

    /// <summary>
    /// A grid: one chain per γ (in the given order), each running through the λ values in the given order
    /// (for example from high λ to low λ).
    /// </summary>
    /// <param name="lambdas">λ values, each finite and &gt; 0, no duplicates, at least one.</param>
    /// <param name="gammas">γ values, each finite and ≥ 0, no duplicates, at least one.</param>
    public static SweepPlan Grid(IReadOnlyList<double> lambdas, IReadOnlyList<double> gammas)
    {
        ArgumentNullException.ThrowIfNull(lambdas);
        ArgumentNullException.ThrowIfNull(gammas);
        if (lambdas.Count == 0)
        {
            throw new ArgumentException("The grid has no λ values; give at least one.", nameof(lambdas));
        }

        if (gammas.Count == 0)
        {
            throw new ArgumentException("The grid has no γ values; give at least one.", nameof(gammas));
        }

        RequireDistinct(lambdas, nameof(lambdas), "λ");
        RequireDistinct(gammas, nameof(gammas), "γ");
        var chains = gammas.Select(g => (IReadOnlyList<Multipliers>)lambdas.Select(l => Create(l, g, nameof(lambdas))).ToArray()).ToArray();
        return FromChains(chains);
    }

    /// <summary>A list of multipliers, cut into chains of at most <paramref name="chainLength"/> consecutive points (default: one chain).</summary>
    /// <param name="points">The points in order; at least one, no duplicates, λ &gt; 0.</param>
    /// <param name="chainLength">Points per chain, ≥ 1; null for a single chain.</param>
    public static SweepPlan FromList(IReadOnlyList<Multipliers> points, int? chainLength = null)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count == 0)
        {
            throw new ArgumentException("The list of multipliers is empty; give at least one point.", nameof(points));
        }

        int length = chainLength ?? points.Count;
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1, nameof(chainLength));
        var chains = points.Chunk(length).Select(c => (IReadOnlyList<Multipliers>)c).ToArray();
        return FromChains(chains);
    }

    /// <summary>Chains given explicitly; each chain non-empty, no point twice in the plan, λ &gt; 0.</summary>
    public static SweepPlan FromChains(IReadOnlyList<IReadOnlyList<Multipliers>> chains)
    {
        ArgumentNullException.ThrowIfNull(chains);
        if (chains.Count == 0 || chains.Any(c => c is null || c.Count == 0))
        {
            throw new ArgumentException("A sweep plan needs at least one chain and no empty chain.", nameof(chains));
        }

        var seen = new HashSet<Multipliers>();
        foreach (var m in chains.SelectMany(c => c))
        {
            Guard.Valid(m, nameof(chains));

            if (!seen.Add(m))
            {
                throw new ArgumentException($"The point {m} appears twice in the plan.", nameof(chains));
            }
        }

        var copy = chains.Select(c => (IReadOnlyList<Multipliers>)c.ToArray()).ToArray();
        return new SweepPlan(copy, 0, 1, ComputeFingerprint(copy));
    }

    /// <summary>
    /// Shard <paramref name="index"/> of <paramref name="count"/>: the chains whose position modulo
    /// <paramref name="count"/> is <paramref name="index"/>. Point indices stay those of the full plan.
    /// </summary>
    public SweepPlan Shard(int index, int count)
    {
        if (ShardCount != 1)
        {
            throw new InvalidOperationException("This plan is already a shard; shard the full plan instead.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (count > Chains.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, string.Create(CultureInfo.InvariantCulture, $"The plan has {Chains.Count} chain(s), so it splits into at most {Chains.Count} shards; got {count}."));
        }

        if (index < 0 || index >= count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, string.Create(CultureInfo.InvariantCulture, $"The shard index must be in [0, {count}); got {index}."));
        }

        return new SweepPlan(allChains, index, count, Fingerprint);
    }

    /// <summary>Every point of the full plan (all shards), with its index, chain and position.</summary>
    internal IReadOnlyList<PlannedPoint> AllPoints => [.. Enumerate(all: true)];

    private IEnumerable<PlannedPoint> Enumerate(bool all = false)
    {
        int index = 0;
        for (int chain = 0; chain < allChains.Count; chain++)
        {
            for (int position = 0; position < allChains[chain].Count; position++, index++)
            {
                if (all || chain % ShardCount == ShardIndex)
                {
                    yield return new PlannedPoint(index, chain, position, allChains[chain][position]);
                }
            }
        }
    }

    private static Multipliers Create(double lambda, double gamma, string parameter)
    {
        try
        {
            return new Multipliers(lambda, gamma);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new ArgumentOutOfRangeException(parameter, ex.ActualValue, ex.Message.Split(Environment.NewLine)[0]);
        }
    }

    private static void RequireDistinct(IReadOnlyList<double> values, string parameter, string symbol)
    {
        var duplicate = values.GroupBy(v => v).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{symbol} = {duplicate.Key} appears {duplicate.Count()} times in the grid."), parameter);
        }
    }

    private static string ComputeFingerprint(IReadOnlyList<IReadOnlyList<Multipliers>> chains)
    {
        var text = new StringBuilder();
        foreach (var chain in chains)
        {
            text.Append('[');
            foreach (var m in chain)
            {
                text.Append(CultureInfo.InvariantCulture, $"{m.Lambda:R},{m.Gamma:R};");
            }

            text.Append(']');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }
}
