namespace FreeEnergy.Core.Processes;

/// <summary>
/// The rule that slows a ramp while the network lags behind it (<see cref="RampProtocol.MaxGovernedChecks"/>): plain
/// arithmetic on the last held-out check, so that it can be tested without torch.
/// </summary>
internal static class RampGovernor
{
    /// <summary>
    /// The ramp's speed factor in [0, 1]: 1 while the relative drift is within <paramref name="tolerance"/>, or outside
    /// it when moving on narrows the gap (<paramref name="along"/>, the held quantity's change over the rest of the ramp,
    /// has the opposite sign to the drift); otherwise, and when that change is unknown (zero or not finite), it falls
    /// linearly from 1 at the tolerance to 0 at twice the tolerance.
    /// </summary>
    public static double Speed(double drift, double tolerance, double along)
    {
        double excess = Math.Abs(drift) - tolerance;
        if (!(excess > 0))
        {
            return 1;
        }

        if (double.IsFinite(along) && along != 0 && Math.Sign(along) != Math.Sign(drift))
        {
            return 1;
        }

        return Math.Clamp(1 - (excess / tolerance), 0, 1);
    }
}
