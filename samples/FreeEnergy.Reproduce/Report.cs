using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using FreeEnergy.Core.Identities;
using FreeEnergy.Core.Processes;
using FreeEnergy.Core.Surface;

namespace FreeEnergy.Reproduce;

/// <summary>
/// The report page, <see cref="FileName"/> in the output folder: what was run, the surface with its certificate,
/// each process with its drift table, the transfer comparison, the end-point tests, and what did not hold, in plain
/// words. Every number is read from the records files in the folder (one source of truth: the <c>plot</c> command
/// writes the same page from them) and every plot is embedded as a data: URI; the page needs no network, no script
/// and no style sheet of its own.
/// </summary>
internal static class Report
{
    /// <summary>The report page written beside the records.</summary>
    public const string FileName = "report.html";

    /// <summary>The transfer methods of the comparison: records file, element-id key, name, what it does.</summary>
    private static readonly (string File, string Key, string Name, string What)[] Methods =
    [
        (Experiments.TransferFile, "constant-c", "constant C", "r 0 → 1 holding the mixture's C at C₀ (γ set by the constraint controller, λ fixed)"),
        (Experiments.TransferAuthorsFile, "authors", "authors' controller", "r 0 → 1; λ → 0.5 and γ += 0.1 per extra pass while C ≥ C₀ (passes capped per step)"),
        (Experiments.TransferFineTuneFile, "finetune-epochs", "fine-tuning, equal epochs", "target classes only at the start's (λ, γ), as many epochs as the transfer at constant C"),
        (Experiments.TransferFineTuneImagesFile, "finetune-images", "fine-tuning, equal images", "target classes only at the start's (λ, γ), as many training images as the transfer at constant C"),
    ];

    /// <summary>
    /// Records this invocation in <see cref="RunRecord.FileName"/> when it trained, then writes the page from
    /// the folder; returns its path.
    /// </summary>
    public static string Write(string directory, Stage stages, Settings settings, Budget budget, DateTimeOffset started)
    {
        if ((stages & (Stage.Surface | Stage.IsoClassification | Stage.Transfer)) != 0)
        {
            RunRecord.Append(directory, RunRecord.Describe(stages, settings, budget, started));
        }

        string path = Path.Combine(directory, FileName);
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, Render(directory), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    /// <summary>The page for the records in <paramref name="directory"/>.</summary>
    internal static string Render(string directory)
    {
        var folder = new Folder(directory);
        var page = new Page();
        page.Raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>FreeEnergy.Reproduce report</title>\n");
        page.Raw("<style>\n" + Style + "</style>\n</head>\n<body>\n");
        page.Raw("<h1>Reproduction of Gao &amp; Chaudhari, <i>A Free-Energy Principle for Representation Learning</i></h1>\n");
        page.P(string.Create(CultureInfo.InvariantCulture, $"Folder {directory}; page written {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC from its records files. Functionals in nats per example on the evaluation data unless said otherwise; drift = (C − target)/target."));

        RunSection(page, folder);
        FailureSection(page, folder);
        SurfaceSection(page, folder);
        ProcessSection(page, folder, "iso", "Iso-classification", folder.Iso, Experiments.IsoClassificationEndpointFile, [Plots.IsoClassificationFile, Plots.IsoClassificationControlFile]);
        ProcessSection(page, folder, "transfer", "Transfer at constant C (classes 0–4 → 5–9)", folder.Transfer, Experiments.TransferEndpointFile, [Plots.TransferFile, Plots.TransferControlFile]);
        ComparisonSection(page, folder);
        EndpointSection(page, folder);
        page.Raw("</body>\n</html>\n");
        return page.ToString();
    }

    private static void RunSection(Page page, Folder folder)
    {
        page.H2("run", "What was run");
        var runs = RunRecord.Load(folder.Directory);
        if (runs.Count == 0)
        {
            page.P($"Not recorded: this folder has no {RunRecord.FileName} (its records were written by an older version of the program, or copied without it).");
            return;
        }

        page.Table(["command", "started (UTC)", "finished (UTC)", "wall time"], runs.Select(r => new[]
        {
            Cell.Text(r.Command),
            Cell.Text(r.Started.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)),
            Cell.Text(r.Finished.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)),
            Cell.Number(Duration(r.Finished - r.Started)),
        }), "run-list");
        var last = runs[^1];
        page.Raw("<div class=\"columns\">\n");
        foreach (var (title, values) in new[] { ("Options", last.Options), ("Budget", last.Budget), ("Versions", last.Versions), ("Machine", last.Machine) })
        {
            page.Raw("<div>\n");
            page.H3(title + (runs.Count > 1 ? " (last run)" : string.Empty));
            page.Table(["", ""], values.Select(kv => new[] { Cell.Text(kv.Key), Cell.Text(kv.Value) }), null, header: false);
            page.Raw("</div>\n");
        }

        page.Raw("</div>\n");
        double training = folder.Surface.Sum(r => r.Seconds) + folder.AllTrajectories.Sum(t => t.Steps.Sum(s => s.Seconds));
        page.P(string.Create(CultureInfo.InvariantCulture, $"Training time in the records (sweep points and process steps, without the equilibria before the processes, the repair and the end-point tests): {Duration(TimeSpan.FromSeconds(training))}."));
    }

    /// <summary>Every check the records can fail, in plain words.</summary>
    private static void FailureSection(Page page, Folder folder)
    {
        page.H2("failures", "What did not hold");
        var lines = new List<string>();
        var surface = folder.Surface;
        if (surface.Count > 0)
        {
            var diverged = surface.Where(r => r.IsDiverged).ToArray();
            if (diverged.Length > 0)
            {
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"Training diverged at {diverged.Length} of {surface.Count} sweep points, at (λ, γ) = {string.Join(", ", diverged.Select(r => folder.PointMultipliers(r.Index)))}: they have no functionals and are left out of the checks."));
            }

            var capped = surface.Where(r => !r.IsDiverged && !r.Converged).ToArray();
            if (capped.Length > 0)
            {
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"{capped.Length} of {surface.Count} sweep points stopped at the epoch cap before the convergence rule was met, at (λ, γ) = {string.Join(", ", capped.Select(r => folder.PointMultipliers(r.Index)))}."));
            }
        }

        if (folder.Certificate is { } certificate)
        {
            foreach (var c in certificate.Certificates.Where(c => c.FailedPoints.Count > 0))
            {
                lines.Add(string.Create(CultureInfo.InvariantCulture,
                    $"The equilibrium certificate on {c.Data.ToLowerInvariant()} data failed at {c.FailedPoints.Count} of {c.Points} points, (λ, γ) = {string.Join(", ", c.FailedPoints.Select(i => folder.PointMultipliers(i)))}: {c.Significant} of the {c.Inequalities} inequalities that F(λ, γ) satisfies at equilibrium (concavity, envelope, monotonicity) are violated beyond {c.Sigmas:G3} standard errors, by up to {c.LargestViolation:F2} nats ({Percent(c.LargestRelativeViolation, 2, signed: false)} of |F|). Those points are not at equilibrium."));
            }

            if (certificate.Repair is { } repair && certificate.Certificates.Any(c => c.FailedPoints.Count > 0))
            {
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"The repair loop did not clear the certificate: it stopped ({repair.Stop}) after {repair.Attempts} re-relaxation(s), {repair.Accepted} kept, {repair.Epochs} epochs."));
            }
        }

        foreach (var (name, trajectory) in new[] { ("Iso-classification", folder.Iso), ("The transfer at constant C", folder.Transfer) })
        {
            if (trajectory is not null && trajectory.FailedSteps.Count > 0)
            {
                lines.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{name} left its ±{Percent(trajectory.Tolerance, 0, signed: false)} band around the target at {trajectory.FailedSteps.Count} of {trajectory.Steps.Count - 1} steps (steps {string.Join(", ", trajectory.FailedSteps)}; largest |drift| {Percent(trajectory.MaxAbsoluteDrift, 1, signed: false)}): the process did not hold C there."));
            }
        }

        foreach (var (name, file) in new[] { ("the iso-classification", Experiments.IsoClassificationEndpointFile), ("the transfer at constant C", Experiments.TransferEndpointFile) })
        {
            if (folder.Endpoint(file) is { } e && !e.StillHeld)
            {
                lines.Add(string.Create(CultureInfo.InvariantCulture,
                    $"C moved {Percent(e.RelativeMove, 1, signed: true)} of its target in {e.Epochs} more epochs at the fixed multipliers {Multipliers(e.Lambda, e.Gamma)} of {name}'s last step, ending {Percent(e.DriftAfter, 1, signed: true)} from the target (tolerance ±{Percent(e.Tolerance, 0, signed: false)}): the process did not end at an equilibrium."));
            }
        }

        var authors = folder.Trajectory(Experiments.TransferAuthorsFile);
        if (authors is not null && authors.FailedSteps.Count > 0)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"The authors' controller ended {authors.FailedSteps.Count} of {authors.Steps.Count - 1} steps outside C₀ ± {Percent(authors.Tolerance, 0, signed: false)} (largest |drift| {Percent(authors.MaxAbsoluteDrift, 1, signed: false)}): its pass cap stopped it before C was back at C₀."));
        }

        var constant = folder.Transfer;
        var fineTuned = folder.Trajectory(Experiments.TransferFineTuneFile);
        if (constant?.Final.TargetAccuracy is double held && fineTuned?.Final.TargetAccuracy is double tuned && tuned > held)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"At equal epochs ({fineTuned.TotalEpochs}), fine-tuning reached a higher target accuracy ({Percent(tuned, 1, signed: false)}) than the transfer at constant C ({Percent(held, 1, signed: false)}): holding C did not buy target accuracy (it kept source accuracy: {Percent(constant.Final.SourceAccuracy ?? double.NaN, 1, signed: false)} against {Percent(fineTuned.Final.SourceAccuracy ?? double.NaN, 1, signed: false)})."));
        }

        if (lines.Count == 0)
        {
            page.P(folder.Any ? "Every check in the records held." : "No records in this folder: run surface, iso-classification or transfer first.", "good");
            return;
        }

        page.Raw("<ul class=\"failures\">\n");
        foreach (string line in lines)
        {
            page.Raw("<li>" + Encode(line) + "</li>\n");
        }

        page.Raw("</ul>\n");
    }

    private static void SurfaceSection(Page page, Folder folder)
    {
        page.H2("surface", "Equilibrium surface");
        var surface = folder.Surface;
        if (surface.Count == 0)
        {
            page.P($"Not run: no {Experiments.SurfaceFile} in the folder.");
            return;
        }

        var certificates = folder.Certificate?.Certificates ?? [];
        var headers = new List<string> { "point", "λ", "γ", "R", "D", "C", "accuracy", "F = R + λD + γC", "epochs", "converged", "repairs" };
        headers.AddRange(certificates.Select(c => $"certificate ({c.Data.ToLowerInvariant()})"));
        var rows = surface.OrderBy(r => r.Index).Select(r =>
        {
            string id = string.Create(CultureInfo.InvariantCulture, $"surface-{r.Index}");
            var row = new List<Cell> { Cell.Number(Format(r.Index)), Cell.Number(G(r.Lambda)), Cell.Number(G(r.Gamma)) };
            if (r.IsDiverged)
            {
                string at = r.DivergedAt is { } d ? string.Create(CultureInfo.InvariantCulture, $" at epoch {d.Epoch}, step {d.Step}") : string.Empty;
                row.Add(Cell.Text($"training diverged{at}: no functionals", "bad", span: 8));
            }
            else
            {
                row.Add(Cell.Number(F(r.Rate, 3), id: id + "-rate"));
                row.Add(Cell.Number(F(r.Distortion, 3)));
                row.Add(Cell.Number(F(r.Classification, 4), id: id + "-classification"));
                row.Add(Cell.Number(Percent(r.Accuracy, 1, signed: false)));
                row.Add(Cell.Number(F(r.FreeEnergy, 3), id: id + "-f"));
                row.Add(Cell.Number(Format(r.Epochs)));
                row.Add(r.Converged ? Cell.Text("yes") : Cell.Text("no (epoch cap)", "bad"));
                row.Add(Cell.Number(Format(r.Repairs)));
            }

            foreach (var c in certificates)
            {
                row.Add(c.Verdicts.TryGetValue(r.Index, out var v)
                    ? Cell.Text(v.Status == nameof(PointStatus.Fail) ? string.Create(CultureInfo.InvariantCulture, $"fail (+{v.Worst:F2} nats)") : Words(v.Status), v.Status == nameof(PointStatus.Fail) ? "bad" : v.Status == nameof(PointStatus.Pass) ? "good" : null, id: $"{id}-certificate-{c.Data.ToLowerInvariant()}")
                    : Cell.Text("not checked"));
            }

            return row.ToArray();
        });
        page.Table([.. headers], rows, "surface-table");
        if (folder.SharedStart is { } start)
        {
            page.P(string.Create(CultureInfo.InvariantCulture, $"Every chain started from one model relaxed {Format(start.GetProperty("epochs").GetInt32())} epochs at {Multipliers(start.GetProperty("lambda").GetDouble(), start.GetProperty("gamma").GetDouble())} (F = {F(start.GetProperty("rate").GetDouble() + (start.GetProperty("lambda").GetDouble() * start.GetProperty("distortion").GetDouble()) + (start.GetProperty("gamma").GetDouble() * start.GetProperty("classification").GetDouble()), 2)} nats, {Experiments.SharedStartFile}), not from the initial weights; the epochs column counts each point's own."));
        }

        if (folder.Certificate is { } certificate)
        {
            page.H3("Equilibrium certificate");
            page.P($"The identities of theory.md checked at every point and pair of points ({(certificate.Certificates.Count > 0 ? certificate.Certificates[0].Checked : "none")}); a violation counts when it is larger than the stated number of standard errors. From {Certificates.FileName}.");
            page.Table(["data", "outcome", "inequalities", "violated", "significant", "largest violation (nats)", "largest / |F|", "failed points"], certificate.Certificates.Select(c =>
            {
                string id = "certificate-" + c.Data.ToLowerInvariant();
                return new[]
                {
                    Cell.Text(c.Data.ToLowerInvariant()),
                    Cell.Text(c.Outcome, c.Outcome == "Passed" ? "good" : "bad", id: id + "-outcome"),
                    Cell.Number(Format(c.Inequalities)),
                    Cell.Number(Format(c.Violated)),
                    Cell.Number(Format(c.Significant), id: id + "-significant"),
                    Cell.Number(F(c.LargestViolation, 3)),
                    Cell.Number(Percent(c.LargestRelativeViolation, 2, signed: false)),
                    Cell.Text(c.FailedPoints.Count == 0 ? "none" : string.Join(", ", c.FailedPoints.Select(i => folder.PointName(i))), id: id + "-failed"),
                };
            }), "certificate-table");
            if (certificate.Repair is { } repair)
            {
                page.P(string.Create(CultureInfo.InvariantCulture, $"Repair loop (on {repair.Data.ToLowerInvariant()} data): stopped with {repair.Stop} after {repair.Attempts} re-relaxation(s), {repair.Accepted} kept (a re-relaxation is kept when it lowers F), {repair.Epochs} epochs, {Duration(TimeSpan.FromSeconds(repair.Seconds))}."));
            }
            else
            {
                page.P("No repair loop ran (--no-repair or the certify command).");
            }
        }
        else
        {
            page.P($"No {Certificates.FileName} in the folder: the certificate was not written (run certify).");
        }

        page.Images(folder, [Plots.RateDistortionFile, Plots.SurfaceFile]);
    }

    private static void ProcessSection(Page page, Folder folder, string key, string title, ProcessTrajectory? trajectory, string endpointFile, string[] images)
    {
        page.H2(key, title);
        if (trajectory is null)
        {
            page.P("Not run: no records file in the folder.");
            return;
        }

        bool transfer = trajectory.Kind == ProcessKind.Transfer;
        string target = trajectory.Target is double t ? F(t, 4) : "n/a";
        int steps = trajectory.Steps.Count - 1;
        page.Raw(string.Create(CultureInfo.InvariantCulture,
            $"<p>Target {(transfer ? "C₀" : "C*")} = <span id=\"{key}-target\">{target}</span> nats, tolerance ±{Percent(trajectory.Tolerance, 0, signed: false)}; held at <span id=\"{key}-held\">{steps - trajectory.FailedSteps.Count} of {steps}</span> steps, largest |drift| <span id=\"{key}-max-drift\">{Percent(trajectory.MaxAbsoluteDrift, 2, signed: false)}</span>; {trajectory.TotalEpochs} epochs, {trajectory.TotalCorrections} corrections, {trajectory.Checks.Count} held-out checks{(transfer ? string.Empty : $"; work W = {F(trajectory.Work, 3)} nats, ΔF = {F(trajectory.FreeEnergyChange, 3)} nats")}.</p>\n"));
        var headers = transfer
            ? new[] { "step", "r", "λ", "γ", "C (mixture)", "drift", "held", "source accuracy", "target accuracy", "source C", "target C", "epochs", "images seen", "seconds" }
            : ["step", "λ", "γ", "R", "D", "C", "drift", "held", "corrections", "epochs", "converged", "seconds"];
        var rows = trajectory.Steps.Select(s =>
        {
            string id = string.Create(CultureInfo.InvariantCulture, $"{key}-step-{s.Index}");
            var held = s.WithinTolerance ? Cell.Text("yes", "good") : Cell.Text("no", "bad");
            return transfer
                ? new[]
                {
                    Cell.Number(Format(s.Index)), Cell.Number(G(s.Ratio ?? double.NaN)), Cell.Number(G(s.Lambda)), Cell.Number(F(s.Gamma, 3)),
                    Cell.Number(F(s.Classification, 4), id: id + "-classification"), Cell.Number(Percent(s.Drift, 2, signed: true), id: id + "-drift"), held,
                    Cell.Number(Percent(s.SourceAccuracy ?? double.NaN, 1, signed: false)), Cell.Number(Percent(s.TargetAccuracy ?? double.NaN, 1, signed: false), id: id + "-target-accuracy"),
                    Cell.Number(F(s.SourceClassification ?? double.NaN, 3)), Cell.Number(F(s.TargetClassification ?? double.NaN, 3)),
                    Cell.Number(Format(s.Epochs)), Cell.Number(s.ExamplesSeen is long n ? Format(n) : "not recorded"), Cell.Number(F(s.Seconds, 1)),
                }
                : [
                    Cell.Number(Format(s.Index)), Cell.Number(F(s.Lambda, 3)), Cell.Number(F(s.Gamma, 3)), Cell.Number(F(s.Rate, 3)), Cell.Number(F(s.Distortion, 3)),
                    Cell.Number(F(s.Classification, 4), id: id + "-classification"), Cell.Number(Percent(s.Drift, 2, signed: true), id: id + "-drift"), held,
                    Cell.Number(Format(s.Corrections)), Cell.Number(Format(s.Epochs)), s.Converged ? Cell.Text("yes") : Cell.Text("no"), Cell.Number(F(s.Seconds, 1)),
                ];
        });
        page.Table(headers, rows, key + "-table");
        page.P("Step 0 is the starting equilibrium; \"held\" is |drift| within the tolerance on the evaluation data at the step's end; \"converged\" is the relaxation's convergence rule.");
        if (folder.Endpoint(endpointFile) is { } e)
        {
            page.P(string.Create(CultureInfo.InvariantCulture, $"End-point test: trained on {e.Epochs} more epochs at the last step's fixed {Multipliers(e.Lambda, e.Gamma)}{(e.Mix is double r ? $", r = {G(r)}" : string.Empty)}, C went {F(e.HeldBefore, 4)} → {F(e.HeldAfter, 4)} nats ({Percent(e.RelativeMove, 1, signed: true)} of the target): {(e.StillHeld ? "still within the tolerance" : "outside the tolerance, so the process did not end at an equilibrium")}."), e.StillHeld ? "good" : "bad");
        }

        page.Images(folder, images);
    }

    private static void ComparisonSection(Page page, Folder folder)
    {
        page.H2("comparison", "Transfer compared: constant C, the authors' controller, fine-tuning");
        var methods = Methods.Select(m => (m.Key, m.Name, m.What, Trajectory: folder.Trajectory(m.File))).Where(m => m.Trajectory is not null).ToArray();
        if (methods.Length == 0)
        {
            page.P("Not run: no transfer records in the folder.");
            return;
        }

        var first = methods[0].Trajectory!.Steps[0];
        page.P(string.Create(CultureInfo.InvariantCulture, $"Every method starts from the same source equilibrium (classes 0–4) at {Multipliers(first.Lambda, first.Gamma)}: C₀ = {F(first.Classification, 4)} nats, target accuracy {Percent(first.TargetAccuracy ?? double.NaN, 1, signed: false)}. Values at the end (r = 1, the target classes 5–9)."));
        page.Table(["method", "what it does", "epochs", "images seen", "steps held", "C at the end", "drift from C₀", "source accuracy", "target accuracy", "λ, γ at the end"], methods.Select(m =>
        {
            var t = m.Trajectory!;
            var end = t.Final;
            string id = "cmp-" + m.Key;
            int steps = t.Steps.Count - 1;
            return new[]
            {
                Cell.Text(m.Name), Cell.Text(m.What),
                Cell.Number(Format(t.TotalEpochs), id: id + "-epochs"),
                Cell.Number(t.TotalExamplesSeen > 0 ? Format(t.TotalExamplesSeen) : "not recorded"),
                Cell.Number(t.Kind == ProcessKind.FineTuning ? "n/a (does not hold C)" : string.Create(CultureInfo.InvariantCulture, $"{steps - t.FailedSteps.Count} of {steps}")),
                Cell.Number(F(end.Classification, 4), id: id + "-classification"),
                Cell.Number(Percent(end.Drift, 1, signed: true)),
                Cell.Number(Percent(end.SourceAccuracy ?? double.NaN, 1, signed: false), id: id + "-source-accuracy"),
                Cell.Number(Percent(end.TargetAccuracy ?? double.NaN, 1, signed: false), id: id + "-target-accuracy"),
                Cell.Number(string.Create(CultureInfo.InvariantCulture, $"{G(end.Lambda)}, {F(end.Gamma, 3)}")),
            };
        }), "comparison-table");
        page.P("Fine-tuning at equal images trains on the target batch only, so it gets about twice the epochs of the mixture's transfer for the same images.");
        page.Images(folder, [Plots.TransferComparisonFile]);
    }

    private static void EndpointSection(Page page, Folder folder)
    {
        page.H2("endpoints", "End-point tests");
        page.P("After each process, the model of its last step is trained on at that step's fixed multipliers: at an equilibrium the held C stays within the tolerance; if it moves, the process ended away from equilibrium.");
        var rows = new List<Cell[]>();
        foreach (var (key, name, file) in new[] { ("iso", "iso-classification", Experiments.IsoClassificationEndpointFile), ("transfer", "transfer at constant C", Experiments.TransferEndpointFile) })
        {
            if (folder.Endpoint(file) is not { } e)
            {
                continue;
            }

            string id = $"endpoint-{key}";
            rows.Add(
            [
                Cell.Text(name), Cell.Number(string.Create(CultureInfo.InvariantCulture, $"{G(e.Lambda)}, {F(e.Gamma, 3)}{(e.Mix is double r ? $", r = {G(r)}" : string.Empty)}")),
                Cell.Number(Format(e.Epochs)), Cell.Number(F(e.Goal, 4)), Cell.Number(F(e.HeldBefore, 4)), Cell.Number(F(e.HeldAfter, 4), id: id + "-after"),
                Cell.Number(Percent(e.RelativeMove, 1, signed: true), id: id + "-move"), Cell.Number(Percent(e.DriftAfter, 1, signed: true)),
                e.StillHeld ? Cell.Text("held: at equilibrium", "good", id: id + "-verdict") : Cell.Text("moved: not at equilibrium", "bad", id: id + "-verdict"),
            ]);
        }

        if (rows.Count == 0)
        {
            page.P("Not run: no end-point files in the folder.");
            return;
        }

        page.Table(["process", "λ, γ (fixed)", "epochs", "target", "C before", "C after", "move / target", "drift after", "verdict"], rows, "endpoint-table");
    }

    private static string Duration(TimeSpan span) =>
        span.TotalMinutes >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes} min {span.Seconds} s")
            : string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:F1} s");

    /// <summary>"WithinUncertainty" → "within uncertainty".</summary>
    private static string Words(string name) => string.Concat(name.Select((ch, i) => char.IsUpper(ch) && i > 0 ? " " + char.ToLowerInvariant(ch) : char.ToLowerInvariant(ch).ToString()));

    private static string Multipliers(double lambda, double gamma) => string.Create(CultureInfo.InvariantCulture, $"(λ, γ) = ({G(lambda)}, {G(gamma)})");

    private static string F(double value, int decimals) => double.IsFinite(value) ? value.ToString("F" + Format(decimals), CultureInfo.InvariantCulture) : "n/a";

    private static string G(double value) => double.IsFinite(value) ? value.ToString("G4", CultureInfo.InvariantCulture) : "n/a";

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A ratio as a percentage with <paramref name="decimals"/> decimals ("+11.4%"; "n/a" when not finite).</summary>
    internal static string Percent(double ratio, int decimals, bool signed)
    {
        if (!double.IsFinite(ratio))
        {
            return "n/a";
        }

        string text = (100 * ratio).ToString("F" + Format(decimals), CultureInfo.InvariantCulture) + "%";
        return signed && ratio >= 0 ? "+" + text : text;
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private const string Style = """
        body { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; margin: 2em auto; max-width: 1440px; padding: 0 1.5em; color: #1a1a1a; line-height: 1.4; }
        h1 { font-size: 1.5em; } h2 { margin-top: 2em; border-bottom: 1px solid #bbb; padding-bottom: 0.2em; } h3 { margin-bottom: 0.3em; }
        table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
        th, td { border: 1px solid #ccc; padding: 0.25em 0.55em; vertical-align: top; overflow-wrap: anywhere; }
        th { background: #f0f0f0; text-align: left; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .good { color: #11692b; } .bad { color: #b00020; font-weight: bold; }
        p.bad, p.good { font-weight: normal; }
        ul.failures li { margin: 0.35em 0; color: #7a0016; }
        .columns { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 0 2em; align-items: start; } .columns > div { min-width: 0; } .columns table { max-width: 100%; }
        figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #ddd; } figcaption { font-size: 0.85em; color: #555; }

        """;

    /// <summary>One table cell: text (HTML-encoded when written), a class, an id for the tests, a column span.</summary>
    private sealed record Cell(string Value, string? Class, string? Id, int Span)
    {
        public static Cell Text(string value, string? cssClass = null, string? id = null, int span = 1) => new(value, cssClass, id, span);

        public static Cell Number(string value, string? id = null) => new(value, "num", id, 1);
    }

    /// <summary>The page being written.</summary>
    private sealed class Page
    {
        private readonly StringBuilder html = new();

        public void Raw(string text) => html.Append(text);

        public void H2(string id, string title) => html.Append("<h2 id=\"").Append(id).Append("\">").Append(Encode(title)).Append("</h2>\n");

        public void H3(string title) => html.Append("<h3>").Append(Encode(title)).Append("</h3>\n");

        public void P(string text, string? cssClass = null) =>
            html.Append(cssClass is null ? "<p>" : $"<p class=\"{cssClass}\">").Append(Encode(text)).Append("</p>\n");

        public void Table(IReadOnlyList<string> headers, IEnumerable<Cell[]> rows, string? id, bool header = true)
        {
            html.Append(id is null ? "<table>\n" : $"<table id=\"{id}\">\n");
            if (header)
            {
                html.Append("<tr>").Append(string.Concat(headers.Select(h => "<th>" + Encode(h) + "</th>"))).Append("</tr>\n");
            }

            foreach (var row in rows)
            {
                html.Append("<tr>");
                foreach (var cell in row)
                {
                    html.Append("<td");
                    if (cell.Class is not null)
                    {
                        html.Append(" class=\"").Append(cell.Class).Append('"');
                    }

                    if (cell.Id is not null)
                    {
                        html.Append(" id=\"").Append(cell.Id).Append('"');
                    }

                    if (cell.Span > 1)
                    {
                        html.Append(" colspan=\"").Append(Format(cell.Span)).Append('"');
                    }

                    html.Append('>').Append(Encode(cell.Value)).Append("</td>");
                }

                html.Append("</tr>\n");
            }

            html.Append("</table>\n");
        }

        /// <summary>The plots that exist, embedded as data: URIs.</summary>
        public void Images(Folder folder, IEnumerable<string> files)
        {
            foreach (string file in files)
            {
                string path = Path.Combine(folder.Directory, file);
                if (!File.Exists(path))
                {
                    P($"{file}: not drawn (its records are missing).");
                    continue;
                }

                string data = Convert.ToBase64String(File.ReadAllBytes(path));
                html.Append("<figure><img alt=\"").Append(Encode(file)).Append("\" src=\"data:image/png;base64,").Append(data).Append("\"><figcaption>")
                    .Append(Encode(file)).Append("</figcaption></figure>\n");
            }
        }

        public override string ToString() => html.ToString();
    }

    /// <summary>The records files of the folder, each read once.</summary>
    private sealed class Folder(string directory)
    {
        private readonly Dictionary<string, ProcessTrajectory?> trajectories = [];
        private readonly Dictionary<string, Endpoint?> endpoints = [];
        private IReadOnlyList<SurfaceRecord>? surface;
        private CertificateFile? certificate;
        private bool certificateRead;

        public string Directory { get; } = directory;

        public IReadOnlyList<SurfaceRecord> Surface => surface ??= File.Exists(Path.Combine(Directory, Experiments.SurfaceFile))
            ? EquilibriumSurface.Load(Path.Combine(Directory, Experiments.SurfaceFile)).Records
            : [];

        /// <summary>The record of the surface's shared start (<see cref="Experiments.SharedStartFile"/>.json), or null.</summary>
        public JsonElement? SharedStart
        {
            get
            {
                string path = Path.Combine(Directory, Experiments.SharedStartFile + ".json");
                if (!File.Exists(path))
                {
                    return null;
                }

                using var json = JsonDocument.Parse(File.ReadAllText(path));
                return json.RootElement.Clone();
            }
        }

        public ProcessTrajectory? Iso => Trajectory(Experiments.IsoClassificationFile);

        public ProcessTrajectory? Transfer => Trajectory(Experiments.TransferFile);

        public IEnumerable<ProcessTrajectory> AllTrajectories =>
            new[] { Experiments.IsoClassificationFile }.Concat(Methods.Select(m => m.File)).Select(Trajectory).OfType<ProcessTrajectory>();

        public bool Any => Surface.Count > 0 || AllTrajectories.Any();

        public CertificateFile? Certificate
        {
            get
            {
                if (!certificateRead)
                {
                    certificate = CertificateFile.Load(Path.Combine(Directory, Certificates.FileName));
                    certificateRead = true;
                }

                return certificate;
            }
        }

        public ProcessTrajectory? Trajectory(string file)
        {
            if (!trajectories.TryGetValue(file, out var trajectory))
            {
                string path = Path.Combine(Directory, file);
                trajectory = File.Exists(path) && new FileInfo(path).Length > 0 ? ProcessTrajectory.Load(path) : null;
                trajectories[file] = trajectory;
            }

            return trajectory;
        }

        public Endpoint? Endpoint(string file)
        {
            if (!endpoints.TryGetValue(file, out var endpoint))
            {
                endpoint = Reproduce.Report.Endpoint.Load(Path.Combine(Directory, file));
                endpoints[file] = endpoint;
            }

            return endpoint;
        }

        /// <summary>"(2, 10)": a sweep point's multipliers (its index when it is not in the records).</summary>
        public string PointMultipliers(int index)
        {
            var record = Surface.FirstOrDefault(r => r.Index == index);
            return record is null ? "point " + Format(index) : string.Create(CultureInfo.InvariantCulture, $"({G(record.Lambda)}, {G(record.Gamma)})");
        }

        /// <summary>"3 (2, 10)": a sweep point's index and multipliers.</summary>
        public string PointName(int index)
        {
            var record = Surface.FirstOrDefault(r => r.Index == index);
            return record is null ? Format(index) : string.Create(CultureInfo.InvariantCulture, $"{index} ({G(record.Lambda)}, {G(record.Gamma)})");
        }
    }

    /// <summary>An end-point test as written by the main job (<c>*-endpoint.json</c>).</summary>
    private sealed record Endpoint(double Goal, double Tolerance, double Lambda, double Gamma, double? Mix, int Epochs, double HeldBefore, double HeldAfter, double RelativeMove, double DriftAfter, bool StillHeld)
    {
        public static Endpoint? Load(string path)
        {
            if (!File.Exists(path))
            {
                return null;
            }

            try
            {
                using var document = JsonDocument.Parse(File.ReadAllText(path));
                var root = document.RootElement;
                var multipliers = root.GetProperty("multipliers");
                var mix = root.GetProperty("mix");
                return new Endpoint(
                    root.GetProperty("goal").GetDouble(), root.GetProperty("tolerance").GetDouble(),
                    multipliers.GetProperty("lambda").GetDouble(), multipliers.GetProperty("gamma").GetDouble(),
                    mix.ValueKind == JsonValueKind.Number ? mix.GetDouble() : null, root.GetProperty("epochs").GetInt32(),
                    root.GetProperty("heldBefore").GetDouble(), root.GetProperty("heldAfter").GetDouble(),
                    root.GetProperty("relativeMove").GetDouble(), root.GetProperty("driftAfter").GetDouble(), root.GetProperty("stillHeld").GetBoolean());
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"'{path}' is not an end-point test of this program ({e.Message}); run the process again or delete the file.", e);
            }
        }
    }

    /// <summary>certificate.json as the report needs it.</summary>
    private sealed record CertificateFile(IReadOnlyList<CertificateSummary> Certificates, RepairSummary? Repair)
    {
        public static CertificateFile? Load(string path)
        {
            if (!File.Exists(path))
            {
                return null;
            }

            try
            {
                using var document = JsonDocument.Parse(File.ReadAllText(path));
                var root = document.RootElement;
                var certificates = root.GetProperty("certificates").EnumerateArray().Select(c => new CertificateSummary(
                    c.GetProperty("data").GetString() ?? string.Empty,
                    c.GetProperty("outcome").GetString() ?? string.Empty,
                    c.GetProperty("inequalities").GetInt32(),
                    c.GetProperty("violated").GetInt32(),
                    c.GetProperty("significant").GetInt32(),
                    c.GetProperty("largestViolation").GetDouble(),
                    c.GetProperty("largestRelativeViolation").GetDouble(),
                    [.. c.GetProperty("failedPoints").EnumerateArray().Select(p => p.GetInt32())],
                    c.GetProperty("points").GetArrayLength(),
                    c.GetProperty("sigmas").GetDouble(),
                    string.Join(", ", c.GetProperty("checked").EnumerateObject().Select(k => string.Create(CultureInfo.InvariantCulture, $"{k.Name} {k.Value.GetInt32()}"))),
                    c.GetProperty("points").EnumerateArray().ToDictionary(
                        p => p.GetProperty("index").GetInt32(),
                        p => (p.GetProperty("status").GetString() ?? string.Empty, p.GetProperty("worstViolation").GetDouble())))).ToArray();
                var repair = root.GetProperty("repair");
                RepairSummary? summary = repair.ValueKind == JsonValueKind.Object
                    ? new RepairSummary(
                        repair.GetProperty("data").GetString() ?? string.Empty,
                        repair.GetProperty("stop").GetString() ?? string.Empty,
                        repair.GetProperty("seconds").GetDouble(),
                        repair.GetProperty("epochs").GetInt32(),
                        repair.GetProperty("attempts").GetArrayLength(),
                        repair.GetProperty("attempts").EnumerateArray().Count(a => a.GetProperty("accepted").GetBoolean()))
                    : null;
                return new CertificateFile(certificates, summary);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"'{path}' is not a certificate file of this program ({e.Message}); write it again with the certify command.", e);
            }
        }
    }

    /// <summary>One certificate of certificate.json: its verdicts per point are (status, worst violation in nats).</summary>
    private sealed record CertificateSummary(string Data, string Outcome, int Inequalities, int Violated, int Significant, double LargestViolation, double LargestRelativeViolation, IReadOnlyList<int> FailedPoints, int Points, double Sigmas, string Checked, Dictionary<int, (string Status, double Worst)> Verdicts);

    /// <summary>The repair loop of certificate.json.</summary>
    private sealed record RepairSummary(string Data, string Stop, double Seconds, int Epochs, int Attempts, int Accepted);
}
