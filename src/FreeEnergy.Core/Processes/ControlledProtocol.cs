using System.Diagnostics;
using FreeEnergy.Core.Derivatives;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using Microsoft.Extensions.Logging;

namespace FreeEnergy.Core.Processes;

/// <summary>
/// Runs a controlled process (<see cref="ProcessMethod.Controlled"/>, see <see cref="RampProtocol"/>): ramps the
/// scheduled coordinates from checkpoint to checkpoint every optimisation step, feeds the controller forward,
/// checks the held quantity on held-out data a few times per epoch, gates every recorded step on consecutive
/// in-tolerance checks, and rolls back and halves a step that does not settle. Every loop is bounded.
/// </summary>
internal sealed class ControlledProtocol(QuasiStaticProcess owner, RampProtocol protocol, Func<Multipliers, double, SurfaceDerivatives> derivatives)
{
    /// <summary>A point of the path: the scheduled coordinates (the free multiplier's value is ignored).</summary>
    internal readonly record struct Point(double Lambda, double Gamma, double Ratio);

    /// <summary>Runs the path; step 0 is the engine's current state.</summary>
    /// <param name="run">Records the steps and checks.</param>
    /// <param name="engine">The training loop, at the start point, with its controller.</param>
    /// <param name="path">The checkpoints after the start.</param>
    /// <param name="goal">The value held.</param>
    /// <param name="start">The measurement at the start.</param>
    /// <param name="mixture">Whether this is a transfer (records r).</param>
    public ProcessTrajectory Run(StepRecorder run, ConstrainedTraining engine, IReadOnlyList<Point> path, double goal, ProcessMeasurement start, bool mixture)
    {
        var state = new State(engine, goal, start) { Tolerance = owner.Tolerance, Logger = owner.Logger };
        var clock = Stopwatch.StartNew();
        run.Add(run.Record(0, engine.Multipliers, mixture ? engine.Ratio : null, start, goal, 0, 0, false, 0) with { OptimizationSteps = 0, ExamplesSeen = 0 }, path.Count);

        // The training measurement sits below the held-out one by the generalisation gap: start the set point there.
        engine.StartSetPoint(start.Mixture);
        long checkEvery = Math.Max(1, engine.StepsPerEpoch / protocol.ChecksPerEpoch);
        var accepted = Accepted.Capture(engine);
        try
        {
            var slopes = Slopes(engine, state.Last);
            for (int k = 0; k < path.Count; k++)
            {
                clock.Restart();
                long steps0 = engine.Steps, examples0 = engine.ExamplesSeen;
                var targets = new List<Point> { path[k] }; // a stack: the last entry is the next checkpoint
                int halvings = 0, rollbacks = 0;
                bool held = false, failed = false;
                while (targets.Count > 0)
                {
                    var from = Current(engine);
                    var to = targets[^1];
                    double fraction = Math.Pow(0.5, halvings);
                    long rampSteps = Math.Max(1, (long)Math.Round(protocol.RampEpochs * fraction * engine.StepsPerEpoch));
                    double progress = 0, speed = 1;
                    int slowChecks = 0;
                    while (progress < 1)
                    {
                        var before = Current(engine);
                        progress = Math.Min(1, progress + (speed / rampSteps));
                        Move(engine, Interpolate(from, to, progress));
                        if (protocol.Feedforward)
                        {
                            FeedForward(engine, slopes, before, Current(engine));
                        }

                        engine.Step();
                        if (engine.Steps % checkEvery == 0)
                        {
                            var check = Check(run, engine, state, k + 1, "ramp");
                            speed = slowChecks < protocol.MaxGovernedChecks ? Governor(engine, check, state.Last, slopes, from, to) : 1;
                            slowChecks += speed < 1 ? 1 : 0;
                        }
                    }

                    Move(engine, to);
                    engine.ApplyController();
                    int consecutive = 0;
                    for (int dwell = 0; dwell < protocol.MaxDwellChecks && consecutive < protocol.ConsecutiveChecks; dwell++)
                    {
                        for (long i = 0; i < checkEvery; i++)
                        {
                            engine.Step();
                        }

                        consecutive = Check(run, engine, state, k + 1, "dwell").WithinTolerance ? consecutive + 1 : 0;
                    }

                    if (consecutive >= protocol.ConsecutiveChecks)
                    {
                        targets.RemoveAt(targets.Count - 1);
                        accepted.Dispose();
                        accepted = Accepted.Capture(engine);
                        slopes = Slopes(engine, state.Last);
                        held = true;
                        continue;
                    }

                    if (halvings < protocol.MaxHalvings && !failed)
                    {
                        // Back to the last accepted checkpoint, and half the way to this target first.
                        accepted.Restore(engine);
                        halvings++;
                        rollbacks++;
                        ProcessLog.RolledBack(owner.Logger, run.Kind, k + 1, state.LastDrift, halvings);
                        targets.Add(Interpolate(Current(engine), to, 0.5));
                        held = false;
                        continue;
                    }

                    // Out of halvings: go on from where it is, to the step's own values (no further halving), and
                    // record the step there as not held.
                    held = false;
                    failed = true;
                    targets.RemoveAt(targets.Count - 1);
                    accepted.Dispose();
                    accepted = Accepted.Capture(engine);
                    slopes = Slopes(engine, state.Last);
                }

                var step = run.Record(k + 1, engine.Multipliers, mixture ? engine.Ratio : null, state.Last, goal, rollbacks, (int)Math.Round((double)(engine.Steps - steps0) / engine.StepsPerEpoch), held, clock.Elapsed.TotalSeconds)
                    with
                    { WithinTolerance = held, OptimizationSteps = engine.Steps - steps0, ExamplesSeen = engine.ExamplesSeen - examples0 };
                if (!run.Add(step, path.Count))
                {
                    break;
                }
            }
        }
        finally
        {
            accepted.Dispose();
        }

        return run.Finish();
    }

    /// <summary>
    /// The ramp's speed factor after a check (<see cref="RampGovernor"/>), from the held quantity's change along the
    /// ramp: by r from this check's source and target values, by the scheduled multiplier from the last accepted
    /// checkpoint's slopes.
    /// </summary>
    private double Governor(ConstrainedTraining engine, ControllerCheck check, ProcessMeasurement last, Slope slopes, Point from, Point to)
    {
        double along = Change(engine, slopes with { ByRatio = ByRatio(engine, last) }, from, to);
        return RampGovernor.Speed(check.Drift, owner.Tolerance, along);
    }

    /// <summary>The scheduled coordinates of the engine now.</summary>
    private static Point Current(ConstrainedTraining engine) => new(engine.Lambda, engine.Gamma, engine.Ratio);

    /// <summary>Sets the scheduled coordinates (the free one stays the controller's).</summary>
    private static void Move(ConstrainedTraining engine, Point p)
    {
        if (engine.FreeIsGamma)
        {
            engine.Lambda = p.Lambda;
        }
        else
        {
            engine.Gamma = p.Gamma;
        }

        engine.Ratio = p.Ratio;
    }

    /// <summary>λ geometrically, γ and r linearly.</summary>
    private static Point Interpolate(Point a, Point b, double t) => new(
        a.Lambda * Math.Pow(b.Lambda / a.Lambda, t),
        a.Gamma + ((b.Gamma - a.Gamma) * t),
        a.Ratio + ((b.Ratio - a.Ratio) * t));

    private static ControllerCheck Check(StepRecorder run, ConstrainedTraining engine, State state, int index, string phase)
    {
        var (measured, q) = engine.Check();
        var mixture = measured.Mixture;
        double drift = QuasiStaticProcess.Drift(q, state.Goal);
        var controller = engine.Controller;
        state.Last = measured;
        state.LastDrift = drift;
        var check = new ControllerCheck
        {
            Step = index,
            Phase = phase,
            OptimizationStep = engine.Steps,
            Epoch = engine.Epochs,
            Lambda = engine.Lambda,
            Gamma = engine.Gamma,
            Ratio = measured.Target is null ? null : engine.Ratio,
            HeldOut = q,
            Target = state.Goal,
            Drift = drift,
            WithinTolerance = Math.Abs(drift) <= state.Tolerance,
            SetPoint = controller.SetPoint,
            Smoothed = controller.Smoothed,
            Sensitivity = controller.Sensitivity,
            Rate = mixture.Rate,
            Distortion = mixture.Distortion,
            Classification = mixture.Classification,
        };
        run.AddCheck(check);
        ProcessLog.Check(state.Logger, run.Kind, index, phase, engine.Epochs, engine.Lambda, engine.Gamma, q, drift, controller.SetPoint);
        return check;
    }

    /// <summary>
    /// The held quantity's slopes at the engine's point: by λ and γ from the estimator, by r from the source and
    /// target values of <paramref name="last"/>, and by the free multiplier; sets the controller's sensitivity.
    /// </summary>
    private Slope Slopes(ConstrainedTraining engine, ProcessMeasurement last)
    {
        double q = engine.HeldValue(last.Mixture);
        double m = engine.FreeIsGamma ? engine.Gamma : engine.Lambda;
        double expected = ConstrainedTraining.ExpectedSign(engine.Held);
        double byR = ByRatio(engine, last);
        var (byLambda, byGamma) = QuasiStaticProcess.Partials(engine.Held, derivatives(engine.Multipliers, engine.Ratio), engine.Multipliers);
        double free = engine.FreeIsGamma ? byGamma : byLambda;

        bool usable = double.IsFinite(free) && Math.Sign(free) == expected && m > 0 && q > 0;
        engine.Controller.SetSensitivity(usable ? free * m / q : expected);
        if (!usable)
        {
            (byLambda, byGamma) = (0, 0); // without a trusted free slope, feed forward only the task ratio
        }

        return new Slope(byLambda, byGamma, byR, engine.Controller.Sensitivity * q);
    }

    /// <summary>Δu = −(∂Q/∂λ·Δλ + ∂Q/∂γ·Δγ + ∂Q/∂r·Δr)/(m·∂Q/∂m) for the scheduled coordinates.</summary>
    private static void FeedForward(ConstrainedTraining engine, Slope slope, Point before, Point after)
    {
        double change = Change(engine, slope, before, after);
        if (change == 0 || slope.LogFree == 0)
        {
            return;
        }

        // m·∂Q/∂m = ∂Q/∂ln m = s·Q.
        engine.Controller.Feedforward(-change / slope.LogFree);
        engine.ApplyController();
    }

    /// <summary>∂Q/∂r at a measurement: the held quantity on the target minus on the source (0 on one task).</summary>
    private static double ByRatio(ConstrainedTraining engine, ProcessMeasurement m) =>
        m.Target is { } t && m.Source is { } s ? engine.HeldValue(t) - engine.HeldValue(s) : 0;

    /// <summary>The held quantity's first-order change as the scheduled coordinates move from <paramref name="a"/> to <paramref name="b"/>.</summary>
    private static double Change(ConstrainedTraining engine, Slope slope, Point a, Point b) =>
        (slope.ByRatio * (b.Ratio - a.Ratio))
        + (engine.FreeIsGamma ? slope.ByLambda * (b.Lambda - a.Lambda) : slope.ByGamma * (b.Gamma - a.Gamma));

    /// <summary>∂Q/∂λ, ∂Q/∂γ, ∂Q/∂r and ∂Q/∂ln m.</summary>
    private readonly record struct Slope(double ByLambda, double ByGamma, double ByRatio, double LogFree);

    /// <summary>The run's last check.</summary>
    private sealed class State(ConstrainedTraining engine, double goal, ProcessMeasurement start)
    {
        public double Goal => goal;

        public double Tolerance { get; init; }

        public ILogger Logger { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public ProcessMeasurement Last { get; set; } = start;

        public double LastDrift { get; set; } = QuasiStaticProcess.Drift(engine.HeldValue(start.Mixture), goal);
    }

    /// <summary>The last accepted checkpoint: weights, controller and coordinates.</summary>
    private sealed class Accepted : IDisposable
    {
        private readonly WeightSnapshot weights;
        private readonly Training.ConstraintController controller;
        private readonly (double Lambda, double Gamma, double Ratio) point;

        private Accepted(ConstrainedTraining engine)
        {
            weights = WeightSnapshot.Capture(engine.Model.Network);
            controller = engine.Controller.Clone();
            point = (engine.Lambda, engine.Gamma, engine.Ratio);
        }

        public static Accepted Capture(ConstrainedTraining engine) => new(engine);

        public void Restore(ConstrainedTraining engine)
        {
            weights.Restore();
            engine.Controller = controller.Clone();
            (engine.Lambda, engine.Gamma, engine.Ratio) = point;
        }

        public void Dispose() => weights.Dispose();
    }
}
