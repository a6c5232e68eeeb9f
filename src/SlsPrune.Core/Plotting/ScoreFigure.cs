using System.Globalization;
using ScottPlot;

namespace SlsPrune.Core.Plotting;

/// <summary>What the score figure shows: one score per layer (1-based layers 1..N), the threshold (null when the
/// method has none or the guard applied), the kept blocks (1-based), and optionally a per-layer standard deviation
/// (error bars) and top-1 accuracy (%) of the model cut after each layer (a second axis; NaN where unknown).</summary>
public sealed record ScoreFigureData(string Task, string Method, string Metric, double? Alpha, IReadOnlyList<double> Scores,
    IReadOnlyList<int> KeptBlocks,
    double? Threshold, IReadOnlyList<double>? Std = null, IReadOnlyList<double>? AccuracyByDepth = null)
{
    public string Title => $"{Task}: {Method}, {Metric}" + (Alpha is double a ? $", alpha {a.ToString("0.###", CultureInfo.InvariantCulture)}" : "")
        + $" ({KeptBlocks.Count} of {Scores.Count} blocks kept)";
}

/// <summary>Score per layer with the threshold as a dashed red line, pruned blocks shaded and their markers grey.</summary>
public static class ScoreFigure
{
    public const int Width = 800, Height = 450;

    public static Plot Build(ScoreFigureData d)
    {
        ArgumentNullException.ThrowIfNull(d);
        int n = d.Scores.Count;
        if (n == 0) throw new ArgumentException("no scores to plot", nameof(d));
        if (d.Std is not null && d.Std.Count != n) throw new ArgumentException($"{d.Std.Count} standard deviations for {n} scores", nameof(d));
        if (d.AccuracyByDepth is not null && d.AccuracyByDepth.Count != n) throw new ArgumentException($"{d.AccuracyByDepth.Count} accuracies for "
            + $"{n} scores", nameof(d));
        var plot = new Plot();
        FigureFont.Apply(plot);
        double[] xs = Enumerable.Range(1, n).Select(i => (double)i).ToArray();
        double[] ys = d.Scores.ToArray();
        var kept = d.KeptBlocks.ToHashSet();

        bool shadeLabelled = false;
        for (int i = 1; i <= n; i++)
        {
            if (kept.Contains(i)) continue;
            int j = i;
            while (j < n && !kept.Contains(j + 1)) j++;
            var span = plot.Add.HorizontalSpan(i - 0.5, j + 0.5, FigurePalette.Shade);
            span.LineWidth = 0;
            if (!shadeLabelled) { span.LegendText = "pruned"; shadeLabelled = true; }
            i = j;
        }

        if (d.Std is not null)
        {
            var eb = plot.Add.ErrorBar(xs, ys, d.Std.ToArray());
            eb.LineColor = FigurePalette.Line;
            eb.LineWidth = 1.5f;
        }
        var line = plot.Add.Scatter(xs, ys, FigurePalette.Line);
        line.LineWidth = 2;
        line.MarkerSize = 9;
        line.LegendText = d.Metric;
        var prunedXs = xs.Where(x => !kept.Contains((int)x)).ToArray();
        if (prunedXs.Length > 0)
        {
            var grey = plot.Add.Markers(prunedXs, prunedXs.Select(x => ys[(int)x - 1]).ToArray(), MarkerShape.FilledCircle, 9, FigurePalette.Pruned);
            grey.LegendText = "pruned layer";
        }
        if (d.Threshold is double t)
        {
            var h = plot.Add.HorizontalLine(t, 2, FigurePalette.Threshold, LinePattern.Dashed);
            h.LegendText = $"threshold {t.ToString("0.###", CultureInfo.InvariantCulture)}";
        }
        if (d.AccuracyByDepth is not null)
        {
            var acc = plot.Add.Scatter(xs, d.AccuracyByDepth.ToArray(), FigurePalette.Accuracy);
            acc.LineWidth = 2;
            acc.MarkerSize = 7;
            acc.MarkerShape = MarkerShape.FilledSquare;
            acc.LegendText = "top-1 (%)";
            acc.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = "top-1 accuracy (%)";
            plot.Axes.SetLimitsY(0, 100, plot.Axes.Right);
        }

        plot.Axes.Bottom.SetTicks(xs, xs.Select(x => ((int)x).ToString(CultureInfo.InvariantCulture)).ToArray());
        double lo = Math.Min(0, ys.Min() - (d.Std?.Max() ?? 0)), hi = Math.Max(d.Threshold ?? ys.Max(), ys.Max() + (d.Std?.Max() ?? 0));
        double pad = (hi - lo) * 0.08 + 1e-9;
        plot.Axes.SetLimits(0.5, n + 0.5, lo - pad, hi + pad);
        plot.Title(d.Title);
        plot.Axes.Title.Label.Bold = false;
        plot.Axes.Title.Label.FontSize = 15;
        plot.XLabel("layer");
        plot.YLabel(d.Metric);
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    public static Figure Render(ScoreFigureData d) => Figure.Of(Build(d), Width, Height);
}
