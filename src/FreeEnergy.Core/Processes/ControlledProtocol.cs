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
        run.BeginStep();
        run.Add(run.Record(0, engine.Multipliers, mixture ? engine.Ratio : null, start, goal, 0, 0, false, 0) with { OptimizationSteps = 0, ExamplesSeen = 0 }, path.Count);

        // The training measurement sits below the held-out one by the generalisation gap: start the set point there.
        engine.StartSetPoint(start.Mixture);
        long checkEvery = Math.Max(1, engine.StepsPerEpoch / protocol.ChecksPerEpoch);
        var state = new State(run, engine, goal, start, checkEvery, Accepted.Capture(engine)) { Tolerance = owner.Tolerance, Logger = owner.Logger };
        try
        {
            state.Slopes = Slopes(engine, state.Last);
            for (int k = 0; k < path.Count; k++)
            {
                run.BeginStep();
                long steps0 = engine.Steps, examples0 = engine.ExamplesSeen;
                var (held, rollbacks) = Settle(state, k + 1, path[k]);
                var step = run.Record(k + 1, engine.Multipliers, mixture ? engine.Ratio : null, state.Last, goal, rollbacks, (int)Math.Round((double)(engine.Steps - steps0) / engine.StepsPerEpoch), held, run.Seconds)
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
            state.Accepted.Dispose();
        }

        return run.Finish();
    }

    /// <summary>
    /// One recorded step: ramps to <paramref name="target"/> and dwells there until the gate accepts it; a step that
    /// does not settle is rolled back and approached in halves (at most <see cref="RampProtocol.MaxHalvings"/> times),
    /// then taken as it is and reported not held. Returns whether it was held and how many rollbacks it took.
    /// </summary>
    private (bool Held, int Rollbacks) Settle(State state, int index, Point target)
    {
        var engine = state.Engine;
        var targets = new List<Point> { target }; // a stack: the last entry is the next checkpoint
        int halvings = 0, rollbacks = 0;
        bool held = false, failed = false;
        while (targets.Count > 0)
        {
            var to = targets[^1];
            Ramp(state, index, to, Math.Pow(0.5, halvings));
            Move(engine, to);
            engine.ApplyController();
            if (Dwell(state, index))
            {
                targets.RemoveAt(targets.Count - 1);
                Accept(state);
                held = true;
                continue;
            }

            if (halvings < protocol.MaxHalvings && !failed)
            {
                // Back to the last accepted checkpoint, and half the way to this target first.
                state.Accepted.Restore(engine);
                halvings++;
                rollbacks++;
                ProcessLog.RolledBack(owner.Logger, state.Run.Kind, index, state.LastDrift, halvings);
                targets.Add(Interpolate(Current(engine), to, 0.5));
                held = false;
                continue;
            }

            // Out of halvings: go on from where it is, to the step's own values (no further halving), and
            // record the step there as not held.
            held = false;
            failed = true;
            targets.RemoveAt(targets.Count - 1);
            Accept(state);
        }

        return (held, rollbacks);
    }

    /// <summary>
    /// Moves the scheduled coordinates from where they are to <paramref name="to"/> over
    /// <paramref name="fraction"/>·<see cref="RampProtocol.RampEpochs"/> epochs, one optimisation step at a time, fed
    /// forward if set, checked on held-out data and slowed by the governor.
    /// </summary>
    private void Ramp(State state, int index, Point to, double fraction)
    {
        var engine = state.Engine;
        var from = Current(engine);
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
                FeedForward(engine, state.Slopes, before, Current(engine));
            }

            engine.Step();
            if (engine.Steps % state.CheckEvery == 0)
            {
                var check = Check(state, index, "ramp");
                speed = slowChecks < protocol.MaxGovernedChecks ? Governor(engine, check, state.Last, state.Slopes, from, to) : 1;
                slowChecks += speed < 1 ? 1 : 0;
            }
        }
    }

    /// <summary>Trains at the step's values, a check at a time, until <see cref="RampProtocol.ConsecutiveChecks"/> checks in a row are within the tolerance (true) or the dwell is spent (false).</summary>
    private bool Dwell(State state, int index)
    {
        int consecutive = 0;
        for (int dwell = 0; dwell < protocol.MaxDwellChecks && consecutive < protocol.ConsecutiveChecks; dwell++)
        {
            for (long i = 0; i < state.CheckEvery; i++)
            {
                state.Engine.Step();
            }

            consecutive = Check(state, index, "dwell").WithinTolerance ? consecutive + 1 : 0;
        }

        return consecutive >= protocol.ConsecutiveChecks;
    }

    /// <summary>Makes the engine's state the last accepted checkpoint and takes the slopes there.</summary>
    private void Accept(State state)
    {
        state.Accepted.Dispose();
        state.Accepted = Accepted.Capture(state.Engine);
        state.Slopes = Slopes(state.Engine, state.Last);
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

    private static ControllerCheck Check(State state, int index, string phase)
    {
        var (run, engine) = (state.Run, state.Engine);
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

    /// <summary>A run's state: its recorder and engine, the last check, the check interval, the last accepted checkpoint and its slopes.</summary>
    private sealed class State(StepRecorder run, ConstrainedTraining engine, double goal, ProcessMeasurement start, long checkEvery, Accepted accepted)
    {
        public StepRecorder Run => run;

        public ConstrainedTraining Engine => engine;

        public double Goal => goal;

        public double Tolerance { get; init; }

        public ILogger Logger { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public ProcessMeasurement Last { get; set; } = start;

        public double LastDrift { get; set; } = QuasiStaticProcess.Drift(engine.HeldValue(start.Mixture), goal);

        /// <summary>Optimisation steps between held-out checks.</summary>
        public long CheckEvery => checkEvery;

        /// <summary>The last accepted checkpoint (the state owns it: <see cref="Run"/> disposes the last one).</summary>
        public Accepted Accepted { get; set; } = accepted;

        public Slope Slopes { get; set; }
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
