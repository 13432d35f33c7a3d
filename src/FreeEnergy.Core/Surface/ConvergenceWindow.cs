using System.Text.Json.Serialization;

namespace FreeEnergy.Core.Surface;

/// <summary>
/// The last epochs of a point's training, kept in its record to measure how much the functionals were still
/// moving when the trainer stopped (the drift over the convergence window), in nats per example.
/// </summary>
/// <remarks>
/// <see cref="Objective"/> is J on the evaluation data after each epoch (what the trainer's stop rule sees);
/// <see cref="Rate"/>, <see cref="Distortion"/> and <see cref="Classification"/> are the epoch means over the
/// training minibatches (the trainer reports them at no extra cost), so their drift also contains the change
/// of the weights within each epoch and the minibatch noise: an upper estimate of the drift of R, D, C.
/// </remarks>
/// <param name="Objective">Evaluation J after each of the last epochs, oldest first.</param>
/// <param name="Rate">Training epoch means of R, oldest first.</param>
/// <param name="Distortion">Training epoch means of D.</param>
/// <param name="Classification">Training epoch means of C.</param>
public sealed record ConvergenceWindow(
    IReadOnlyList<double> Objective,
    IReadOnlyList<double> Rate,
    IReadOnlyList<double> Distortion,
    IReadOnlyList<double> Classification)
{
    /// <summary>Epochs in the window (the shorter of the two series).</summary>
    [JsonIgnore]
    public int Epochs => Math.Min(Objective.Count, Math.Min(Rate.Count, Math.Min(Distortion.Count, Classification.Count)));

    /// <summary>Whether every number is finite and the three training series have one length.</summary>
    [JsonIgnore]
    public bool IsValid =>
        Objective is not null && Rate is not null && Distortion is not null && Classification is not null
        && Rate.Count == Distortion.Count && Rate.Count == Classification.Count
        && Objective.Concat(Rate).Concat(Distortion).Concat(Classification).All(double.IsFinite);

    /// <summary>
    /// The drift of J' = R + λ'D + γ'C over the window, in nats: the range (max − min) of the training epoch
    /// means of J', and at least the range of the evaluation J when (λ', γ') are the point's own multipliers
    /// (<paramref name="own"/>). Zero for a window of one epoch (no drift can be measured).
    /// </summary>
    /// <param name="lambda">λ'.</param>
    /// <param name="gamma">γ'.</param>
    /// <param name="own">Whether (λ', γ') are the multipliers the point was trained at.</param>
    public double Drift(double lambda, double gamma, bool own)
    {
        int n = Math.Min(Rate.Count, Math.Min(Distortion.Count, Classification.Count));
        double drift = Range(Enumerable.Range(0, n).Select(k => Rate[k] + (lambda * Distortion[k]) + (gamma * Classification[k])));
        return own ? Math.Max(drift, Range(Objective)) : drift;
    }

    /// <summary>The drift of D over the window (range of the training epoch means), in nats.</summary>
    [JsonIgnore]
    public double DistortionDrift => Range(Distortion);

    /// <summary>The drift of C over the window (range of the training epoch means), in nats.</summary>
    [JsonIgnore]
    public double ClassificationDrift => Range(Classification);

    private static double Range(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count < 2 ? 0 : list.Max() - list.Min();
    }
}
