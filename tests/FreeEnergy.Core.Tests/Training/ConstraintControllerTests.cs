using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Training;
using Xunit.Abstractions;

namespace FreeEnergy.Core.Tests.Training;

/// <summary>
/// The controller on a synthetic plant with a known response, no torch: Q_eq(m) = a·m^s with s = −0.5 (like C
/// against γ), a first-order lag of τ updates (the network re-settling) and 5% multiplicative measurement noise
/// (a minibatch), seeded.
/// </summary>
public sealed class ConstraintControllerTests(ITestOutputHelper output)
{
    private const double Exponent = -0.5;

    /// <summary>A lagged, noisy plant.</summary>
    private sealed class Plant(double scale, double lag, double noise, int seed)
    {
        private readonly Random random = new(seed);

        public double Scale { get; set; } = scale;

        public double Value { get; private set; } = double.NaN;

        public double Measure(double multiplier)
        {
            double equilibrium = Scale * Math.Pow(multiplier, Exponent);
            Value = double.IsNaN(Value) ? equilibrium : Value + ((equilibrium - Value) / lag);
            double gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            return Value * (1 + (noise * gaussian));
        }
    }

    /// <summary>Runs <paramref name="updates"/> updates; returns the true plant value after each.</summary>
    private static double[] Drive(ConstraintController controller, Plant plant, int updates)
    {
        var values = new double[updates];
        for (int i = 0; i < updates; i++)
        {
            controller.Update(plant.Measure(controller.Multiplier));
            values[i] = plant.Value;
        }

        return values;
    }

    /// <summary>The first update after which the true value stays within <paramref name="band"/> of the target.</summary>
    private static int SettledAt(double[] values, double target, double band)
    {
        int settled = values.Length;
        for (int i = values.Length - 1; i >= 0 && Math.Abs(values[i] - target) / target <= band; i--)
        {
            settled = i;
        }

        return settled;
    }

    /// <remarks>
    /// Measured with the defaults (k_I = 0.03, k_P = 0.15): overshoot 19% (down) and 15% (up) on this plant; with
    /// k_I = 0.01, k_P = 0.05 it was 5% and 1%, but too slow for the network, where C drifts by itself.
    /// </remarks>
    [Theory]
    [InlineData(0.5, 4.0)] // Q must fall: m rises from 1 to 4
    [InlineData(2.0, 0.25)] // Q must rise: m falls from 1 to 1/4
    public void SettlesWithinTwoPercentInBothDirectionsWithOvershootBelowAQuarter(double target, double expectedMultiplier)
    {
        var plant = new Plant(1, lag: 30, noise: 0.05, seed: 3);
        var controller = new ConstraintController(target, 1, Exponent);

        var values = Drive(controller, plant, 3000);

        int settled = SettledAt(values, target, 0.02);
        double overshoot = target < 1 ? (target - values.Min()) / target : (values.Max() - target) / target; // past the target, away from the start
        output.WriteLine($"target {target}: settled (±2%) at update {settled}, m = {controller.Multiplier:F3} (exact {expectedMultiplier}), overshoot {overshoot:P2}");
        Assert.True(settled <= 1500, $"not settled within ±2% by update 1500 (settled at {settled})");
        Assert.InRange(controller.Multiplier, expectedMultiplier * 0.9, expectedMultiplier * 1.1);
        Assert.True(overshoot <= 0.25, $"overshoot {overshoot:P2} beyond 25%");
    }

    [Fact]
    public void LeavesABoundAtOnceWithoutWindup()
    {
        // The target needs m = 4, but m is capped at 2: the controller sits at the cap for 1,000 updates. Then the
        // plant changes so that the target needs m = 1: a wound-up integrator would stay at the cap for hundreds of
        // updates; the velocity form leaves it with the first updates whose error points back.
        var options = ConstraintControllerOptions.Default with { MaxMultiplier = 2 };
        var plant = new Plant(1, lag: 30, noise: 0.05, seed: 5);
        var controller = new ConstraintController(0.5, 1, Exponent, options);
        Drive(controller, plant, 1000);
        Assert.True(controller.AtBound);
        Assert.Equal(2, controller.Multiplier, 9);

        plant.Scale = 0.5;
        int left = -1;
        for (int i = 0; i < 1000 && left < 0; i++)
        {
            controller.Update(plant.Measure(controller.Multiplier));
            if (controller.Multiplier < 1.95)
            {
                left = i;
            }
        }

        var after = Drive(controller, plant, 2000);
        output.WriteLine($"left the bound after {left} updates; m = {controller.Multiplier:F3} at the end (exact 1)");
        Assert.InRange(left, 0, 100);
        Assert.InRange(controller.Multiplier, 0.9, 1.1);
        Assert.InRange(after[^1], 0.49, 0.51);
    }

    [Fact]
    public void TheCascadeHoldsTheHeldOutValueWhenItSitsAboveTheTrainingValue()
    {
        // Held-out = training + 0.1 (a generalisation gap the controller does not know): holding the training
        // value at the target would leave the held-out value 20% high; the outer loop moves the set point.
        var plant = new Plant(1, lag: 30, noise: 0.05, seed: 7);
        var controller = new ConstraintController(0.5, 1, Exponent);
        double heldOut = double.NaN;
        for (int check = 0; check < 200; check++)
        {
            Drive(controller, plant, 15);
            heldOut = plant.Value + 0.1;
            controller.CorrectSetPoint(heldOut);
        }

        output.WriteLine($"held-out {heldOut:F4} (target 0.5), set point {controller.SetPoint:F4}, m = {controller.Multiplier:F3}");
        Assert.InRange(heldOut, 0.49, 0.51);
        Assert.InRange(controller.SetPoint, 0.38, 0.42);
    }

    [Fact]
    public void FeedforwardMovesTheMultiplierAndIsClipped()
    {
        var controller = new ConstraintController(1, 1, -1);
        Assert.Equal(Math.Exp(0.01), controller.Feedforward(0.01), 12);
        Assert.Equal(Math.Exp(0.01 + controller.Options.MaxLogStep), controller.Feedforward(5), 12);
    }

    [Fact]
    public void StartsAtTheMinimumForAZeroMultiplierAndClampsTheSensitivity()
    {
        var controller = new ConstraintController(1, 0, -1000);
        Assert.Equal(ConstraintControllerOptions.Defaults.MinMultiplier, controller.Multiplier, 12);
        Assert.Equal(-1, controller.Sensitivity);
        controller.SetSensitivity(1e-9);
        Assert.Equal(0.05, controller.Sensitivity);
    }

    [Fact]
    public void ABadTargetMultiplierSensitivityOrMeasurementIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>("target", () => new ConstraintController(0, 1, -1));
        Assert.Throws<ArgumentOutOfRangeException>("target", () => new ConstraintController(double.NaN, 1, -1));
        Assert.Throws<ArgumentOutOfRangeException>("multiplier", () => new ConstraintController(1, -1, -1));
        Assert.Throws<ArgumentOutOfRangeException>("sensitivity", () => new ConstraintController(1, 1, 0));
        var controller = new ConstraintController(1, 1, -1);
        Assert.Throws<ArgumentOutOfRangeException>("measurement", () => controller.Update(double.PositiveInfinity));
        Assert.Throws<ArgumentOutOfRangeException>("heldOut", () => controller.CorrectSetPoint(double.NaN));
        Assert.Equal(0, controller.Updates);
    }

    [Fact]
    public void BadOptionsAreReportedAllAtOnce()
    {
        var options = new ConstraintControllerOptions { IntegralGain = 0, Smoothing = 1, MinMultiplier = 2, MaxMultiplier = 1, SetPointGain = -1 };
        var e = Assert.Throws<FreeEnergyConfigurationException>(() => new ConstraintController(1, 1, -1, options));
        Assert.Equal(4, e.Problems.Count);
        Assert.Contains(e.Problems, p => p.Contains("IntegralGain", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.Contains("MaxMultiplier", StringComparison.Ordinal));
        Assert.Empty(ConstraintControllerOptions.Default.Problems());
    }
}
