using System.Globalization;
using ScottPlot;
using SkiaSharp;

namespace SlsPrune.Core.Plotting;

/// <summary>What the front shows, one point per depth 1..N: its FLOPs as a fraction of the full model's, its measured
/// latency (ms; null where not measured), its accuracy without retraining (%, null where unknown) and the method's
/// score (null where it has none); the depth the budget's policy chose, the alpha rule's own (null: none), and the
/// budget's limit on the FLOPs or latency axis (null where the budget is of another kind).</summary>
public sealed record FrontFigureData(string Title, IReadOnlyList<double> FlopsShare, IReadOnlyList<double>? LatencyMs, IReadOnlyList<double>? Top1,
    IReadOnlyList<double>? Scores, string ScoreName, int Chosen, int? AlphaChoice, double? FlopsLimit = null, double? LatencyLimit = null);

/// <summary>The front: accuracy (left axis) and score (right axis) against FLOPs, and against latency where it was
/// measured, one point per depth labelled with its block count; the chosen depth ringed, the alpha rule's choice
/// marked with a cross, the budget's limit a dashed line.</summary>
public static class FrontFigure
{
    public const int PanelWidth = 640, Height = 470, TitleBand = 40;

    public static Plot BuildPanel(FrontFigureData d, IReadOnlyList<double> xs, string xLabel, double? limit)
    {
        ArgumentNullException.ThrowIfNull(d);
        int n = xs.Count;
        if (n == 0) throw new ArgumentException("no depths to plot", nameof(d));
        foreach (var (list, what) in new[] { (d.Top1, "accuracies"), (d.Scores, "scores"), (d.LatencyMs, "latencies") })
            if (list is not null && list.Count != n) throw new ArgumentException($"{list.Count} {what} for {n} depths", nameof(d));
        var plot = new Plot();
        FigureFont.Apply(plot);
        double[] x = xs.ToArray();
        IYAxis? scoreAxis = null;
        void Series(IReadOnlyList<double> ys, Color colour, MarkerShape shape, string legend, bool right)
        {
            var s = plot.Add.Scatter(x, ys.ToArray(), colour);
            s.LineWidth = 1.5f;
            s.MarkerSize = 8;
            s.MarkerShape = shape;
            s.LegendText = legend;
            if (right) { s.Axes.YAxis = plot.Axes.Right; scoreAxis = plot.Axes.Right; }
            for (int i = 0; i < n; i++)
            {
                var t = plot.Add.Text((i + 1).ToString(CultureInfo.InvariantCulture), x[i], ys[i]);
                t.LabelFontSize = 11;
                t.LabelFontColor = colour;
                t.OffsetY = -6;
                t.OffsetX = 5;
                if (right) t.Axes.YAxis = plot.Axes.Right;
            }
            void Mark(int depth, MarkerShape m, float size, Color c, string text)
            {
                var mk = plot.Add.Markers(new[] { x[depth - 1] }, new[] { ys[depth - 1] }, m, size, c);
                mk.LegendText = right && d.Top1 is not null ? "" : text;
                if (right) mk.Axes.YAxis = plot.Axes.Right;
            }
            Mark(d.Chosen, MarkerShape.OpenCircle, 20, FigurePalette.Threshold, $"chosen: {d.Chosen} blocks");
            if (d.AlphaChoice is int a) Mark(a, MarkerShape.Cross, 18, Colors.Black, $"alpha rule: {a} blocks");
        }
        if (d.Top1 is not null) Series(d.Top1, FigurePalette.Accuracy, MarkerShape.FilledSquare, "top-1 without retraining (%)", right: false);
        if (d.Scores is not null) Series(d.Scores, FigurePalette.Line, MarkerShape.FilledCircle, d.ScoreName, right: d.Top1 is not null);
        if (limit is double l)
        {
            var v = plot.Add.VerticalLine(l, 2, FigurePalette.Pruned, LinePattern.Dashed);
            v.LegendText = "budget";
        }
        plot.XLabel(xLabel);
        plot.YLabel(d.Top1 is not null ? "top-1 accuracy (%)" : d.ScoreName);
        if (scoreAxis is not null) plot.Axes.Right.Label.Text = d.ScoreName;
        double lo = Math.Min(x.Min(), limit ?? x.Min()), hi = Math.Max(x.Max(), limit ?? x.Max()), pad = (hi - lo) * 0.08 + 1e-9;
        plot.Axes.SetLimitsX(lo - pad, hi + pad);
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    /// <summary>One panel against FLOPs, and a second against latency where it was measured, under one title.</summary>
    public static Figure Render(FrontFigureData d)
    {
        var panels = new List<Plot> { BuildPanel(d, d.FlopsShare, "FLOPs (fraction of the full model's)", d.FlopsLimit) };
        if (d.LatencyMs is not null) panels.Add(BuildPanel(d, d.LatencyMs, "latency (ms per batch, median)", d.LatencyLimit));
        int width = PanelWidth * panels.Count;
        return new Figure(width, Height + TitleBand, canvas =>
        {
            using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            using var titleFont = new SKFont(FigureFont.Typeface, 16);
            canvas.DrawText(d.Title, width / 2f, 26, SKTextAlign.Center, titleFont, ink);
            for (int i = 0; i < panels.Count; i++)
            {
                canvas.Save();
                canvas.ClipRect(new SKRect(i * PanelWidth, TitleBand, (i + 1) * PanelWidth, TitleBand + Height));
                canvas.Translate(i * PanelWidth, TitleBand);
                panels[i].Render(canvas, PanelWidth, Height);
                canvas.Restore();
            }
        });
    }
}
