using System.Globalization;
using FreeEnergy.Core.Processes;
using FreeEnergy.Core.Surface;
using ScottPlot;
using SkiaSharp;

namespace FreeEnergy.Reproduce;

/// <summary>Draws the figures from the records files in the output folder (PNG, 300 dpi-friendly sizes).</summary>
internal static class Plots
{
    public const string RateDistortionFile = "rd-curves.png";
    public const string SurfaceFile = "surface-rdc.png";
    public const string IsoClassificationFile = "iso-classification.png";
    public const string TransferFile = "transfer.png";
    public const string TransferComparisonFile = "transfer-comparison.png";
    public const string IsoClassificationControlFile = "iso-classification-control.png";
    public const string TransferControlFile = "transfer-control.png";

    private static readonly ScottPlot.Palettes.Category10 Palette = new ScottPlot.Palettes.Category10();

    /// <summary>One marker per transfer method (constant C, authors' controller, fine-tuning at equal epochs and at equal images), so that print in grey still tells them apart.</summary>
    private static readonly MarkerShape[] MethodMarkers = [MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond];

    /// <summary>Draws the figures of the stages whose records exist; returns the files written.</summary>
    public static IReadOnlyList<string> DrawAll(string directory, Stage stages)
    {
        PlotFonts.Use();
        bool only = stages == Stage.Plot;
        var written = new List<string>();
        string surface = Path.Combine(directory, Experiments.SurfaceFile);
        if ((only || stages.HasFlag(Stage.Surface)) && File.Exists(surface))
        {
            var loaded = EquilibriumSurface.Load(surface);
            var records = loaded.Records;
            if (records.Count > 0)
            {
                var (failed, data) = Certificates.FailedPoints(directory, loaded);
                written.Add(RateDistortion(records, failed, data, Path.Combine(directory, RateDistortionFile)));
                written.Add(Surface(records, failed, data, Path.Combine(directory, SurfaceFile)));
            }
        }

        string iso = Path.Combine(directory, Experiments.IsoClassificationFile);
        if ((only || stages.HasFlag(Stage.IsoClassification)) && File.Exists(iso))
        {
            var trajectory = ProcessTrajectory.Load(iso);
            written.Add(IsoClassification(trajectory, Path.Combine(directory, IsoClassificationFile)));
            if (trajectory.Checks.Count > 0)
            {
                written.Add(Control(trajectory, Path.Combine(directory, IsoClassificationControlFile), "Iso-classification"));
            }
        }

        string transfer = Path.Combine(directory, Experiments.TransferFile);
        if ((only || stages.HasFlag(Stage.Transfer)) && File.Exists(transfer))
        {
            var trajectory = ProcessTrajectory.Load(transfer);
            written.Add(Transfer(trajectory, Path.Combine(directory, TransferFile)));
            if (trajectory.Checks.Count > 0)
            {
                written.Add(Control(trajectory, Path.Combine(directory, TransferControlFile), "Transfer 0–4 → 5–9"));
            }
        }

        if (only || stages.HasFlag(Stage.Transfer))
        {
            // The comparison needs at least one of the two baselines; it draws whichever of the three methods exist.
            var methods = new (string File, string Name)[]
                {
                    (Experiments.TransferFile, "constant C"),
                    (Experiments.TransferAuthorsFile, "authors"),
                    (Experiments.TransferFineTuneFile, "fine-tune, = epochs"),
                    (Experiments.TransferFineTuneImagesFile, "fine-tune, = images"),
                }
                .Select((m, i) => (m.Name, Index: i, Path: Path.Combine(directory, m.File)))
                .Where(m => File.Exists(m.Path))
                .Select(m => new Method(m.Name, m.Index, ProcessTrajectory.Load(m.Path)))
                .ToArray();
            if (methods.Any(m => m.Index > 0))
            {
                written.Add(TransferComparison(methods, Path.Combine(directory, TransferComparisonFile)));
            }
        }

        return written;
    }

    /// <summary>R against D along each γ (the rate–distortion curves of the equilibrium surface).</summary>
    private static string RateDistortion(IReadOnlyList<SurfaceRecord> records, Dictionary<int, double> failed, string data, string path)
    {
        var plot = new Plot();
        int i = 0;
        foreach (var row in records.GroupBy(r => r.Gamma).OrderBy(g => g.Key))
        {
            // In the order of the chain (λ from high to low), so that the line is the path of the continuation.
            var points = row.OrderByDescending(r => r.Lambda).ToArray();
            var line = plot.Add.Scatter(points.Select(p => p.Distortion).ToArray(), points.Select(p => p.Rate).ToArray(), Palette.GetColor(i++));
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"γ = {row.Key:G4}");
            line.MarkerSize = 8;
            line.LineWidth = 2;
            foreach (var p in points)
            {
                if (!p.Converged)
                {
                    // An open ring around the points that stopped at the epoch cap.
                    plot.Add.Marker(p.Distortion, p.Rate, MarkerShape.OpenCircle, 18, Colors.Red);
                }

                if (failed.TryGetValue(p.Index, out double worst))
                {
                    // A square around the points that fail the equilibrium certificate, with the largest violation.
                    plot.Add.Marker(p.Distortion, p.Rate, MarkerShape.OpenSquare, 24, FailColor);
                    var size = plot.Add.Text(string.Create(CultureInfo.InvariantCulture, $"+{worst:F1}"), p.Distortion, p.Rate);
                    size.LabelFontSize = 10;
                    size.LabelFontColor = FailColor;
                    size.OffsetX = 6;
                    size.OffsetY = 14;
                }

                var label = plot.Add.Text(string.Create(CultureInfo.InvariantCulture, $"λ={p.Lambda:G3}"), p.Distortion, p.Rate);
                label.LabelFontSize = 11;
                label.LabelFontColor = line.Color;
                label.OffsetX = 6;
                label.OffsetY = -4;
            }
        }

        if (records.Any(r => !r.Converged))
        {
            var unconverged = plot.Add.Marker(double.NaN, double.NaN, MarkerShape.OpenCircle, 14, Colors.Red);
            unconverged.LegendText = "not converged (epoch cap)";
        }

        AddFailLegend(plot, failed, data, 16, "\n(+worst violation, nats; points drawn on evaluation data)");

        plot.Title("Equilibrium R(D), one curve per γ (λ from high to low)");
        plot.XLabel("distortion D (nats per example)");
        plot.YLabel("rate R (nats per example)");
        plot.ShowLegend(Edge.Right);
        Pad(plot);
        plot.SavePng(path, 1100, 700);
        return path;
    }

    /// <summary>The surface R(D, C): every equilibrium point at (D, C), coloured by R, marker shape by γ.</summary>
    private static string Surface(IReadOnlyList<SurfaceRecord> records, Dictionary<int, double> failed, string data, string path)
    {
        var plot = new Plot();
        var colorAxis = new ColorAxis(new ScottPlot.Colormaps.Viridis(), records.Min(r => r.Rate), records.Max(r => r.Rate));
        MarkerShape[] shapes = [MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond, MarkerShape.OpenCircle];
        int i = 0;
        foreach (var row in records.GroupBy(r => r.Gamma).OrderBy(g => g.Key))
        {
            var shape = shapes[i++ % shapes.Length];
            var points = row.OrderByDescending(r => r.Lambda).ToArray();
            var guide = plot.Add.Scatter(points.Select(p => p.Distortion).ToArray(), points.Select(p => p.Classification).ToArray(), Colors.Gray.WithAlpha(0.5));
            guide.MarkerSize = 0;
            guide.LinePattern = LinePattern.Dotted;
            foreach (var p in points)
            {
                plot.Add.Marker(p.Distortion, p.Classification, shape, 14, colorAxis.Color(p.Rate));
                if (failed.ContainsKey(p.Index))
                {
                    plot.Add.Marker(p.Distortion, p.Classification, MarkerShape.OpenSquare, 24, FailColor);
                }
            }

            var legend = plot.Add.Marker(double.NaN, double.NaN, shape, 10, Colors.Black);
            legend.LegendText = string.Create(CultureInfo.InvariantCulture, $"γ = {row.Key:G4}");
        }

        plot.Add.ColorBar(colorAxis);
        AddFailLegend(plot, failed, data, 12, " (points drawn on evaluation data)");
        plot.Title("Equilibrium surface R(D, C): colour = rate R (nats per example); dotted lines follow λ from high to low");
        plot.XLabel("distortion D (nats per example)");
        plot.YLabel("classification loss C (nats per example)");
        plot.ShowLegend(Edge.Bottom);
        Pad(plot);
        plot.SavePng(path, 1000, 760);
        return path;
    }

    /// <summary>R, D, C, drift, λ and γ against the step of the iso-classification process.</summary>
    private static string IsoClassification(ProcessTrajectory trajectory, string path)
    {
        var steps = trajectory.Steps;
        double[] x = [.. steps.Select(s => (double)s.Index)];
        var rate = Panel("Rate", "R (nats per example)", x, ("R", steps.Select(s => s.Rate)));
        var distortion = Panel("Distortion", "D (nats per example)", x, ("D", steps.Select(s => s.Distortion)));
        var classification = Panel("Classification loss (held)", "C (nats per example)", x, ("C", steps.Select(s => s.Classification)));
        if (trajectory.Target is double target)
        {
            var line = classification.Add.HorizontalLine(target, 1.5f, Colors.Black, LinePattern.Dashed);
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"target C* = {target:F3}");
            classification.ShowLegend(Edge.Right);
        }

        var drift = Panel("Relative drift of C", "(C − C*)/C* (%)", x, ("drift", steps.Select(s => 100 * s.Drift)));
        MarkNotHeld(classification, steps, s => s.Classification);
        MarkNotHeld(drift, steps, s => 100 * s.Drift);
        var band = drift.Add.VerticalSpan(-100 * trajectory.Tolerance, 100 * trajectory.Tolerance);
        band.FillStyle.Color = Colors.Green.WithAlpha(0.12);
        band.LegendText = string.Create(CultureInfo.InvariantCulture, $"tolerance ±{trajectory.Tolerance:P0}");
        drift.ShowLegend(Edge.Right);
        var lambda = Panel("λ (driven)", "λ", x, ("λ", steps.Select(s => s.Lambda)));
        var gamma = Panel("γ (corrected)", "γ", x, ("γ", steps.Select(s => s.Gamma)));
        foreach (var p in new[] { rate, distortion, classification, drift, lambda, gamma })
        {
            p.XLabel("process step", 13);
            p.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        }

        Save([rate, distortion, classification, drift, lambda, gamma], 3, 2, path,
            string.Create(CultureInfo.InvariantCulture, $"Iso-classification: λ {steps[0].Lambda:G3} → {steps[^1].Lambda:G3}, target C* = {trajectory.Target:F3} nats, held within {trajectory.Tolerance:P0} at {steps.Count - 1 - trajectory.FailedSteps.Count} of {steps.Count - 1} steps"));
        return path;
    }

    /// <summary>
    /// The controller at work: the held quantity on held-out data at every check against training epochs, with the
    /// target and its tolerance band, the recorded steps marked (red rings: not held); and the multipliers at every
    /// check (log scale for γ when it spans more than a decade).
    /// </summary>
    private static string Control(ProcessTrajectory trajectory, string path, string name)
    {
        var checks = trajectory.Checks;
        double target = trajectory.Target ?? double.NaN;
        double[] epochs = [.. checks.Select(c => c.Epoch)];
        var held = new Plot();
        var line = held.Add.Scatter(epochs, [.. checks.Select(c => c.HeldOut)], Palette.GetColor(0));
        line.LegendText = "held-out C at each check";
        line.MarkerSize = 4;
        var band = held.Add.VerticalSpan(target * (1 - trajectory.Tolerance), target * (1 + trajectory.Tolerance));
        band.FillStyle.Color = Colors.Green.WithAlpha(0.15);
        band.LegendText = string.Create(CultureInfo.InvariantCulture, $"C* ± {trajectory.Tolerance:P0}");
        var goal = held.Add.HorizontalLine(target, 1.5f, Colors.Black, LinePattern.Dashed);
        goal.LegendText = string.Create(CultureInfo.InvariantCulture, $"C* = {target:F3}");

        // A recorded step sits at the epoch of its last check.
        var recorded = trajectory.Steps.Skip(1)
            .Select(s => (Step: s, Check: checks.LastOrDefault(c => c.Step == s.Index)))
            .Where(p => p.Check is not null)
            .ToArray();
        double[] Xs(bool within) => [.. recorded.Where(p => p.Step.WithinTolerance == within).Select(p => p.Check!.Epoch)];
        double[] Ys(bool within) => [.. recorded.Where(p => p.Step.WithinTolerance == within).Select(p => p.Step.Classification)];
        var ok = held.Add.Markers(Xs(true), Ys(true), MarkerShape.FilledDiamond, 10, Colors.DarkGreen);
        ok.LegendText = "recorded step (held)";
        if (recorded.Any(p => !p.Step.WithinTolerance))
        {
            var bad = held.Add.Markers(Xs(false), Ys(false), MarkerShape.OpenCircle, 14, Colors.Red);
            bad.LegendText = "recorded step (not held)";
        }

        held.Title("Held quantity on held-out data (fixed examples and z-noise)", 14);
        held.YLabel("C (nats per example)", 13);
        held.ShowLegend(Edge.Right);
        Pad(held);

        var gamma = new Plot();
        var g = gamma.Add.Scatter(epochs, [.. checks.Select(c => c.Gamma)], Palette.GetColor(1));
        g.LegendText = "γ (controller)";
        g.MarkerSize = 4;
        // The driven variable on its own axis (r lives in [0, 1], γ may reach tens).
        var driven = gamma.Add.Scatter(epochs, [.. checks.Select(c => c.Ratio ?? c.Lambda)], Palette.GetColor(2));
        string drivenName = trajectory.Kind == ProcessKind.Transfer ? "task ratio r" : "λ";
        driven.LegendText = (trajectory.Kind == ProcessKind.Transfer ? "r" : "λ") + " (driven, right)";
        driven.MarkerSize = 4;
        driven.Axes.YAxis = gamma.Axes.Right;
        gamma.Axes.Right.Label.Text = drivenName;
        gamma.Title("Multipliers at each check", 14);
        gamma.YLabel("γ", 13);
        gamma.ShowLegend(Edge.Right);
        Pad(gamma);
        foreach (var p in new[] { held, gamma })
        {
            p.XLabel("training epochs since the start of the process", 13);
        }

        int holding = trajectory.Steps.Count - 1 - trajectory.FailedSteps.Count;
        Save([held, gamma], 1, 2, path,
            string.Create(CultureInfo.InvariantCulture, $"{name}: the controller's {checks.Count} held-out checks; {holding} of {trajectory.Steps.Count - 1} recorded steps within {trajectory.Tolerance:P0}, largest |drift| {trajectory.MaxAbsoluteDrift:P2}"));
        return path;
    }

    /// <summary>C, accuracies, λ and γ against the task ratio r of the transfer process.</summary>
    private static string Transfer(ProcessTrajectory trajectory, string path)
    {
        var steps = trajectory.Steps;
        double[] x = [.. steps.Select(s => s.Ratio ?? 0)];
        var classification = Panel("Classification loss", "C (nats per example)", x,
            ("mixture C (held)", steps.Select(s => s.Classification)),
            ("source C", steps.Select(s => s.SourceClassification ?? double.NaN)),
            ("target C", steps.Select(s => s.TargetClassification ?? double.NaN)));
        if (trajectory.Target is double target)
        {
            var line = classification.Add.HorizontalLine(target, 1.5f, Colors.Black, LinePattern.Dashed);
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"C₀ = {target:F3}");
        }

        MarkNotHeld(classification, steps, s => s.Classification);
        classification.ShowLegend(Edge.Right);
        var accuracy = Panel("Accuracy", "accuracy (%)", x,
            ("mixture", steps.Select(s => 100 * s.Accuracy)),
            ("source (classes 0–4)", steps.Select(s => 100 * (s.SourceAccuracy ?? double.NaN))),
            ("target (classes 5–9)", steps.Select(s => 100 * (s.TargetAccuracy ?? double.NaN))));
        accuracy.ShowLegend(Edge.Right);
        var lambda = Panel("λ (fixed unless a λ path is given)", "λ", x, ("λ", steps.Select(s => s.Lambda)));
        var gamma = Panel("γ (corrected)", "γ", x, ("γ", steps.Select(s => s.Gamma)));
        foreach (var p in new[] { classification, accuracy, lambda, gamma })
        {
            p.XLabel("task ratio r (0 = source, 1 = target)", 13);
        }

        Save([classification, accuracy, lambda, gamma], 2, 2, path,
            string.Create(CultureInfo.InvariantCulture, $"Transfer from classes 0–4 to 5–9 at constant classification loss C₀ = {trajectory.Target:F3} nats (held within {trajectory.Tolerance:P0} at {steps.Count - 1 - trajectory.FailedSteps.Count} of {steps.Count - 1} steps)"));
        return path;
    }

    /// <summary>
    /// The three transfer methods side by side: target and source accuracy, the mixture's C (with C₀ and the
    /// tolerance band), target accuracy against the cumulative training epochs, λ and γ.
    /// </summary>
    private static string TransferComparison(IReadOnlyList<Method> methods, string path)
    {
        const string RLabel = "task ratio r (0 = source, 1 = target)";
        static double[] R(ProcessTrajectory t) => [.. t.Steps.Select(s => s.Ratio ?? 0)];
        static double[] Cumulative(ProcessTrajectory t)
        {
            double sum = 0;
            return [.. t.Steps.Select(s => sum += s.Epochs)];
        }

        Plot Compare(string title, string yLabel, string xLabel, Func<ProcessTrajectory, double[]> x, Func<ProcessStep, double> y)
        {
            var plot = new Plot();
            foreach (var m in methods)
            {
                var line = plot.Add.Scatter(x(m.Trajectory), [.. m.Trajectory.Steps.Select(y)], Palette.GetColor(m.Index));
                line.LegendText = m.Name;
                line.MarkerSize = 7;
                line.MarkerShape = MethodMarkers[m.Index];
                line.LineWidth = 2;
                // Fine-tuning has only its start and end: a dashed line says that nothing was measured in between.
                line.LinePattern = m.Trajectory.Kind == ProcessKind.FineTuning ? LinePattern.Dashed : LinePattern.Solid;
            }

            plot.Title(title, 14);
            plot.YLabel(yLabel, 13);
            plot.XLabel(xLabel, 13);
            plot.ShowLegend(Edge.Right);
            Pad(plot);
            return plot;
        }

        var target = Compare("Target accuracy (classes 5–9)", "accuracy (%)", RLabel, R, s => 100 * (s.TargetAccuracy ?? double.NaN));
        var source = Compare("Source accuracy (classes 0–4)", "accuracy (%)", RLabel, R, s => 100 * (s.SourceAccuracy ?? double.NaN));
        var classification = Compare("Classification loss of the mixture p_r", "C (nats per example)", RLabel, R, s => s.Classification);
        var reference = methods[0].Trajectory;
        if (reference.Target is double c0)
        {
            var band = classification.Add.VerticalSpan(c0 * (1 - reference.Tolerance), c0 * (1 + reference.Tolerance));
            band.FillStyle.Color = Colors.Green.WithAlpha(0.12);
            band.LegendText = string.Create(CultureInfo.InvariantCulture, $"C₀ ± {reference.Tolerance:P0}");
            var line = classification.Add.HorizontalLine(c0, 1.5f, Colors.Black, LinePattern.Dashed);
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"C₀ = {c0:F3}");
        }

        var cost = Compare("Target accuracy against training cost", "accuracy (%)", "training epochs (cumulative)", Cumulative, s => 100 * (s.TargetAccuracy ?? double.NaN));
        var lambda = Compare("λ (constant C and fine-tuning: fixed; authors: toward 0.5)", "λ", RLabel, R, s => s.Lambda);
        var gamma = Compare("γ (constant C: corrected; authors: +0.1 per extra pass)", "γ", RLabel, R, s => s.Gamma);
        var first = reference.Steps[0];
        string summary = "At r = 1 (target accuracy / C in nats / epochs): " + string.Join("; ", methods.Select(m => string.Create(CultureInfo.InvariantCulture,
            $"{m.Name} {100 * (m.Trajectory.Final.TargetAccuracy ?? double.NaN):F1}%/{m.Trajectory.Final.Classification:F2}/{m.Trajectory.TotalEpochs}")));
        Save([target, source, classification, cost, lambda, gamma], 3, 2, path,
            string.Create(CultureInfo.InvariantCulture, $"Transfer from classes 0–4 to 5–9: every method from the same source equilibrium at (λ, γ) = ({first.Lambda:G3}, {first.Gamma:G3})"),
            summary);
        return path;
    }

    /// <summary>Rings the steps that ended outside the tolerance (the process kept its best attempt).</summary>
    private static void MarkNotHeld(Plot plot, IReadOnlyList<ProcessStep> steps, Func<ProcessStep, double> value)
    {
        var failed = steps.Where(s => !s.WithinTolerance).ToArray();
        if (failed.Length == 0)
        {
            return;
        }

        foreach (var s in failed)
        {
            plot.Add.Marker(s.Ratio ?? s.Index, value(s), MarkerShape.OpenCircle, 16, Colors.Red);
        }

        var legend = plot.Add.Marker(double.NaN, double.NaN, MarkerShape.OpenCircle, 12, Colors.Red);
        legend.LegendText = "not within tolerance";
        plot.ShowLegend(Edge.Right);
    }

    private static Plot Panel(string title, string yLabel, double[] x, params (string Label, IEnumerable<double> Values)[] series)
    {
        var plot = new Plot();
        int i = 0;
        foreach (var (label, values) in series)
        {
            var line = plot.Add.Scatter(x, values.ToArray(), Palette.GetColor(i++));
            line.LegendText = series.Length > 1 ? label : string.Empty;
            line.MarkerSize = 7;
            line.LineWidth = 2;
        }

        plot.Title(title, 14);
        plot.YLabel(yLabel, 13);
        Pad(plot);
        return plot;
    }

    /// <summary>The colour of the marks of points that fail the equilibrium certificate.</summary>
    private static readonly Color FailColor = Colors.DarkMagenta;

    /// <summary>One legend entry for the certificate's failed points, when there are any.</summary>
    private static void AddFailLegend(Plot plot, Dictionary<int, double> failed, string data, float size, string note)
    {
        if (failed.Count > 0)
        {
            var legend = plot.Add.Marker(double.NaN, double.NaN, MarkerShape.OpenSquare, size, FailColor);
            legend.LegendText = string.Create(CultureInfo.InvariantCulture, $"fails the equilibrium certificate on {data.ToLowerInvariant()} data{note}");
        }
    }

    private static void Pad(Plot plot) => plot.Axes.Margins(0.12, 0.15);

    private static void Save(Plot[] panels, int rows, int columns, string path, string title, string? subtitle = null)
    {
        var multiplot = new Multiplot();
        multiplot.Reset(panels[0]);
        foreach (var panel in panels.Skip(1))
        {
            multiplot.AddPlot(panel);
        }

        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        int header = subtitle is null ? 44 : 72;
        int width = 700 * columns;
        int height = (340 * rows) + header;
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        foreach (var panel in panels)
        {
            // The same data-area padding in every panel, so that the columns line up; legends sit in the right margin.
            panel.Layout.Fixed(new PixelPadding(80, 240, 55, 35));
        }

        using (var panelsImage = SKImage.FromEncodedData(multiplot.Render(width, height - header).GetImageBytes()))
        {
            canvas.DrawImage(panelsImage, 0, header);
        }

        using (var typeface = PlotFonts.Typeface(bold: true))
        using (var font = new SKFont(typeface, 20))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true })
        {
            canvas.DrawText(title, width / 2f, 30, SKTextAlign.Center, font, paint);
        }

        if (subtitle is not null)
        {
            using var typeface = PlotFonts.Typeface(bold: false);
            using var font = new SKFont(typeface, 16);
            using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            canvas.DrawText(subtitle, width / 2f, 58, SKTextAlign.Center, font, paint);
        }

        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    /// <summary>A transfer method of the comparison: its name, its index (colour and marker) and its trajectory.</summary>
    private sealed record Method(string Name, int Index, ProcessTrajectory Trajectory);

    /// <summary>A colour axis for the colour bar of the surface plot.</summary>
    private sealed class ColorAxis(IColormap colormap, double min, double max) : IHasColorAxis
    {
        public IColormap Colormap { get; } = colormap;

        public ScottPlot.Range GetRange() => new(min, max);

        public Color Color(double value) => Colormap.GetColor(max > min ? (value - min) / (max - min) : 0.5);
    }
}
