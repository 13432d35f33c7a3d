using System.Globalization;
using System.Text.Json;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;

namespace FreeEnergy.Core.Surface;

/// <summary>The checks of a records file before a sweep resumes from it.</summary>
public sealed partial class SurfaceSweep
{
    /// <summary>The fields a record must hold to be resumed from (a missing number would read as 0).</summary>
    private static readonly string[] RequiredFields =
        ["kind", "version", "plan", "index", "chain", "position", "lambda", "gamma", "rate", "distortion", "classification", "accuracy", "freeEnergy", "epochs", "converged", "seed", "checkpoint"];

    /// <summary>The fields a diverged point's record must hold to be resumed from.</summary>
    private static readonly string[] RequiredDivergedFields =
        ["kind", "version", "plan", "index", "chain", "position", "lambda", "gamma", "seed", "status", "divergedAt"];

    /// <summary>How far below 0 a recorded rate may be: the Monte-Carlo rate of a mixture prior can dip just below 0 when the code collapses.</summary>
    private const double RateTolerance = 1e-2;

    /// <summary>
    /// Reads the records of <paramref name="file"/> for a resume of <paramref name="plan"/> by a model of
    /// <paramref name="configuration"/>: every record must be a valid surface record of this plan, at its planned
    /// index, chain, position and multipliers, trained with this seed, with every required field and a checkpoint
    /// on disk of the same structure.
    /// </summary>
    /// <exception cref="InvalidDataException">A record does not match; the message names the file and the line. Nothing is changed.</exception>
    private static List<SurfaceRecord> ReadForResume(string file, SweepPlan plan, ModelConfiguration configuration)
    {
        var planned = plan.AllPoints.ToDictionary(p => p.Index);
        var seen = new HashSet<int>();
        string directory = Path.GetDirectoryName(file)!;
        return JsonLinesFile.Read<SurfaceRecord>(file, EquilibriumSurface.Validate, (r, json) => ResumeProblem(r, json, plan.Fingerprint, planned, seen, configuration, directory));
    }

    /// <summary>What is wrong with record <paramref name="r"/> (its JSON line <paramref name="json"/>) for a resume, or null when nothing is.</summary>
    private static string? ResumeProblem(SurfaceRecord r, JsonElement json, string fingerprint, Dictionary<int, PlannedPoint> planned, HashSet<int> seen, ModelConfiguration configuration, string directory)
    {
        if (r.Plan != fingerprint)
        {
            return $"the point belongs to another sweep plan ({r.Plan}, this plan is {fingerprint}); use another file";
        }

        var missing = (r.IsDiverged ? RequiredDivergedFields : RequiredFields).Where(f => !json.TryGetProperty(f, out var v) || v.ValueKind == JsonValueKind.Null).ToList();
        if (missing.Count > 0)
        {
            return $"the record lacks the field(s) {string.Join(", ", missing)}; it was edited or written by hand. Delete the line to train the point again";
        }

        var ci = CultureInfo.InvariantCulture;
        if (!planned.TryGetValue(r.Index, out var p))
        {
            return string.Create(ci, $"index {r.Index} is not in the plan (indices 0 to {planned.Count - 1})");
        }

        if (!seen.Add(r.Index))
        {
            return string.Create(ci, $"point {r.Index} appears a second time");
        }

        return PlacementProblem(r, p, planned, configuration)
            ?? (r.IsDiverged
                ? null // no functionals or checkpoint to check: the resume trains it again
                : ResultProblem(r, configuration, directory));
    }

    /// <summary>Whether the record sits where the plan has point <paramref name="p"/>: multipliers, chain, position, seed and warm start.</summary>
    private static string? PlacementProblem(SurfaceRecord r, PlannedPoint p, Dictionary<int, PlannedPoint> planned, ModelConfiguration configuration)
    {
        var ci = CultureInfo.InvariantCulture;
        if (r.Lambda != p.Multipliers.Lambda || r.Gamma != p.Multipliers.Gamma)
        {
            return string.Create(ci, $"point {r.Index} is recorded at λ = {r.Lambda:R}, γ = {r.Gamma:R} but the plan has it at λ = {p.Multipliers.Lambda:R}, γ = {p.Multipliers.Gamma:R}; the record was edited. Delete the line to train the point again");
        }

        if (r.Chain != p.Chain || r.Position != p.Position)
        {
            return string.Create(ci, $"point {r.Index} is recorded in chain {r.Chain} at position {r.Position} but the plan has it in chain {p.Chain} at position {p.Position}");
        }

        if (r.Seed != configuration.Seed)
        {
            return string.Create(ci, $"point {r.Index} was trained with seed {r.Seed} but this sweep's model has seed {configuration.Seed}; resume with the same seed, or use another file");
        }

        // A chain warm-starts along itself; the repair loop re-relaxes a point from a neighbour in any chain.
        if (r.WarmStartFrom is int start && (!planned.TryGetValue(start, out var origin) || start == r.Index || (r.Repairs == 0 && origin.Chain != p.Chain)))
        {
            return r.Repairs == 0
                ? string.Create(ci, $"point {r.Index} says it warm-started from point {start}, which is not another point of its chain {p.Chain}")
                : string.Create(ci, $"point {r.Index} (repaired) says it warm-started from point {start}, which is not another point of the plan");
        }

        return null;
    }

    /// <summary>Whether a finished point's values are possible and its checkpoint is on disk and of this model's structure.</summary>
    private static string? ResultProblem(SurfaceRecord r, ModelConfiguration configuration, string directory)
    {
        var ci = CultureInfo.InvariantCulture;
        if (!(r.Rate >= -RateTolerance) || !(r.Classification >= 0) || !(r.Accuracy >= 0 && r.Accuracy <= 1) || r.Epochs < 0 || !(r.Seconds >= 0))
        {
            return string.Create(ci, $"point {r.Index} holds impossible values (rate {r.Rate:R}, classification {r.Classification:R}, accuracy {r.Accuracy:R}, epochs {r.Epochs}, seconds {r.Seconds:R}; a rate below 0, a classification loss below 0, an accuracy outside [0, 1] or a negative count cannot come from training)");
        }

        string checkpoint = Path.Combine(directory, r.Checkpoint!);
        if (!File.Exists(checkpoint))
        {
            return string.Create(ci, $"the checkpoint '{checkpoint}' of point {r.Index} is missing, and the points after it would warm-start from it; restore the file, or delete this line (and those of the points that warm-started from it) to train them again");
        }

        IReadOnlyList<string> differences;
        try
        {
            differences = configuration.StructuralDifferences(RateDistortionModel.ReadSavedConfiguration(checkpoint));
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return $"the checkpoint of point {r.Index} cannot be read: {ex.Message}";
        }

        return differences.Count == 0
            ? null
            : string.Create(ci, $"the checkpoint of point {r.Index} holds a model of another structure ({string.Join("; ", differences)}); resume with the options the folder was made with, or use another file");
    }
}
