using System.Diagnostics;
using System.Globalization;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Identities;
using FreeEnergy.Core.Internal;

namespace FreeEnergy.Core.Surface;

/// <summary>The repair loop: re-relax the points the equilibrium certificate fails, round by round.</summary>
public sealed partial class SurfaceSweep
{
    /// <summary>
    /// Re-relaxes the points the equilibrium certificate fails, round by round, until no point fails or the
    /// budget is spent. Each round certifies the surface in the records file (on the training data when every
    /// record has it, else on the evaluation data; with paired standard errors from the checkpoints) and re-relaxes its failed points, worst first: each starts from
    /// the weights, among the point's own and those of every point sharing its λ or its γ, whose J at the point's
    /// multipliers is lowest (the minimum is what is sought), trains with this sweep's trainer, and is kept only
    /// if F at the point decreased; a kept result replaces the record (the records file is rewritten
    /// atomically) and the checkpoint.
    /// </summary>
    /// <param name="training">The training data of the sweep.</param>
    /// <param name="evaluation">The evaluation data of the sweep.</param>
    /// <param name="budget">Rounds and re-relaxations at most.</param>
    /// <param name="progress">Receives each finished round.</param>
    /// <param name="cancellationToken">Stops between training steps; kept repairs stay recorded.</param>
    /// <returns>The certificates before and after, every round and attempt, and why it stopped.</returns>
    /// <exception cref="InvalidOperationException">No records file is set or it does not exist (run the sweep with <see cref="WithRecordFile"/> first).</exception>
    /// <exception cref="InvalidDataException">The records file is corrupt.</exception>
    public RepairReport Repair(
        LabeledTensorDataset training,
        LabeledTensorDataset evaluation,
        RepairBudget budget,
        IProgress<RepairRound>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(evaluation);
        ArgumentNullException.ThrowIfNull(budget);
        if (RecordFile is null || !File.Exists(RecordFile))
        {
            throw new InvalidOperationException($"Repair works on a sweep's records file and checkpoints; {(RecordFile is null ? "no records file is set (call WithRecordFile)" : $"'{RecordFile}' does not exist (run the sweep first)")}.");
        }

        using var writerLock = RecordsLock.Acquire(RecordFile);
        var clock = Stopwatch.StartNew();
        var run = new RepairRun(this, EquilibriumSurface.Load(RecordFile), training, evaluation, budget);
        var before = run.Certificate;
        var rounds = new List<RepairRound>();
        RepairStop stop;
        for (int round = 1; ; round++)
        {
            var failed = run.FailedPoints();
            if (StopBeforeRound(failed.Count, round, run.Spent, budget) is RepairStop spent)
            {
                stop = spent;
                break;
            }

            var finishedRound = run.Round(round, failed, cancellationToken);
            rounds.Add(finishedRound);
            progress?.Report(finishedRound);
            if (!finishedRound.Attempts.Any(a => a.Accepted))
            {
                stop = run.Certificate.FailedPoints.Count == 0 ? RepairStop.NoFailedPoints : RepairStop.NoProgress;
                break;
            }
        }

        RepairLog.Stopped(logger, stop, rounds.Count, run.Spent, clock.Elapsed.TotalSeconds);
        return new RepairReport(run.Data, before, run.Certificate, rounds, stop, run.Surface, clock.Elapsed);
    }

    /// <summary>Why the repair stops before round <paramref name="round"/>, or null to run it.</summary>
    private static RepairStop? StopBeforeRound(int failed, int round, int spent, RepairBudget budget) =>
        failed == 0 ? RepairStop.NoFailedPoints
        : round > budget.MaxRounds ? RepairStop.RoundsSpent
        : spent >= budget.MaxPoints ? RepairStop.PointsSpent
        : null;

    /// <summary>
    /// The state of one <see cref="Repair"/>: the finished records by index (diverged ones are kept in the file as
    /// they are; the repair works on finished points only), the data the certificate is computed on, the latest
    /// surface and certificate, and the re-relaxations spent.
    /// </summary>
    private sealed class RepairRun
    {
        private readonly SurfaceSweep sweep;
        private readonly Dictionary<int, SurfaceRecord> records;
        private readonly IReadOnlyList<SurfaceRecord> diverged;
        private readonly string directory;
        private readonly LabeledTensorDataset training;
        private readonly LabeledTensorDataset evaluation;
        private readonly LabeledTensorDataset paired;
        private readonly RepairBudget budget;

        public RepairRun(SurfaceSweep sweep, EquilibriumSurface surface, LabeledTensorDataset training, LabeledTensorDataset evaluation, RepairBudget budget)
        {
            (this.sweep, this.training, this.evaluation, this.budget) = (sweep, training, evaluation, budget);
            directory = surface.Directory!;
            Data = surface.HasTrainingData ? CertificateData.Training : CertificateData.Evaluation;
            records = surface.Records.ToDictionary(r => r.Index);
            diverged = surface.Diverged;
            paired = Data == CertificateData.Training ? training : evaluation;
            Surface = surface;
            Certificate = Certify();
        }

        /// <summary>The data the certificate is computed on.</summary>
        public CertificateData Data { get; }

        /// <summary>The surface as the records file now holds it.</summary>
        public EquilibriumSurface Surface { get; private set; }

        /// <summary>The certificate of <see cref="Surface"/>.</summary>
        public EquilibriumCertificate Certificate { get; private set; }

        /// <summary>The re-relaxations done so far.</summary>
        public int Spent { get; private set; }

        /// <summary>The indices of the points <see cref="Certificate"/> fails, worst first.</summary>
        public List<int> FailedPoints() =>
            Certificate.Points.Where(v => v.Status == PointStatus.Fail).OrderByDescending(v => v.WorstViolation).Select(v => v.Index).ToList();

        /// <summary>Re-relaxes the <paramref name="failed"/> points in order, as many as the budget has left, and certifies the surface again.</summary>
        public RepairRound Round(int round, List<int> failed, CancellationToken cancellationToken)
        {
            var attempts = new List<RepairAttempt>();
            foreach (int index in failed.Take(budget.MaxPoints - Spent))
            {
                cancellationToken.ThrowIfCancellationRequested();
                attempts.Add(RepairPoint(index, round, cancellationToken));
                Spent++;
            }

            Surface = new EquilibriumSurface(records.Values.Concat(diverged), directory);
            Certificate = Certify();
            int accepted = attempts.Count(a => a.Accepted);
            RepairLog.Round(sweep.logger, round, failed.Count, accepted, attempts.Count, Certificate.Outcome, Certificate.SignificantViolations.Count, Certificate.LargestViolation);
            return new RepairRound(round, failed, attempts, Certificate);
        }

        private EquilibriumCertificate Certify() => Surface.Certify(Data, paired, budget.Options, sweep.trainer.EvaluationBatchSize);

        /// <summary>One re-relaxation: pick the start, train, keep the result only if F decreased.</summary>
        private RepairAttempt RepairPoint(int index, int round, CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            var record = records[index];
            var own = record.ToCertificatePoint(Data);
            var (start, startObjective) = records.Values
                .Where(r => (r.Lambda == record.Lambda || r.Gamma == record.Gamma) && r.Checkpoint is not null && File.Exists(Path.Combine(directory, r.Checkpoint)))
                .Select(r => (Record: r, Point: r.ToCertificatePoint(Data)))
                .Where(c => c.Point.IsValid)
                .Select(c => (c.Record, Objective: c.Point.Objective(record.Lambda, record.Gamma)))
                .OrderBy(c => c.Objective)
                .ThenBy(c => c.Record.Index != index)
                .FirstOrDefault();
            if (start is null || record.Checkpoint is null)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Point {index} {record.Multipliers} has no checkpoint to repair from in '{directory}'."));
            }

            using var model = sweep.createModel();
            model.LoadWeights(Path.Combine(directory, start.Checkpoint!));
            var (relaxed, _) = sweep.Relax(model, record, NoiseSeed(model, index, round), training, evaluation, null, cancellationToken);
            double after = relaxed.ToCertificatePoint(Data).FreeEnergy;
            bool accepted = after < own.FreeEnergy;
            if (accepted)
            {
                model.Save(Path.Combine(directory, record.Checkpoint));
                records[index] = relaxed with
                {
                    Epochs = record.Epochs + relaxed.Epochs,
                    Seconds = record.Seconds + clock.Elapsed.TotalSeconds,
                    WarmStartFrom = start.Index,
                    Repairs = record.Repairs + 1,
                    Checkpoint = record.Checkpoint,
                };
                JsonLinesFile.WriteAtomically(sweep.RecordFile!, records.Values.Concat(diverged).OrderBy(r => r.Index));
            }

            RepairLog.Attempt(sweep.logger, round, index, record.Lambda, record.Gamma, start.Index, own.FreeEnergy, after, relaxed.Epochs, clock.Elapsed.TotalSeconds, accepted ? "kept" : "discarded (F did not decrease)");
            return new RepairAttempt(round, index, record.Lambda, record.Gamma, start.Index, startObjective, own.FreeEnergy, after, accepted, relaxed.Epochs, clock.Elapsed.TotalSeconds);
        }
    }
}
