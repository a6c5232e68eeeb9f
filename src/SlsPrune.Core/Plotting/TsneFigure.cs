using System.Globalization;
using ScottPlot;
using SkiaSharp;

namespace SlsPrune.Core.Plotting;

/// <summary>One layer's 2-D embedding (x, y per point, min-max scaled to [0, 1]), its score and whether it was pruned.</summary>
public sealed record TsneLayer(int Layer, IReadOnlyList<double> X, IReadOnlyList<double> Y, double Score, bool Pruned);

/// <summary>What the t-SNE figures show: the layers, one class label per point, and optionally the class names
/// (index i names class i; otherwise "class i").</summary>
public sealed record TsneFigureData(string Title, string Metric, IReadOnlyList<TsneLayer> Layers, IReadOnlyList<int> Labels,
    IReadOnlyList<string>? ClassNames = null)
{
    public int Classes => Labels.Count == 0 ? 0 : Labels.Max() + 1;

    public string ClassName(int c) => ClassNames is not null && c < ClassNames.Count ? ClassNames[c] : $"class {c}";
}

/// <summary>The t-SNE scatter of one layer (axes, legend of class names, title with the layer and its score) and the
/// paper's grid: one panel per layer, one legend for all, pruned layers greyed and marked.</summary>
public static class TsneFigure
{
    public const int LayerSize = 560, PanelSize = 260;

    /// <summary>Past this many classes a legend says nothing (the palette has cycled several times): the single-layer
    /// figure leaves it out and the grid names the class count instead.</summary>
    public const int MaxLegendClasses = 40;

    private static readonly Color PrunedBackground = new(236, 236, 236);

    private static string Fmt(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    private static Plot Panel(TsneFigureData d, TsneLayer layer, bool legend)
    {
        if (layer.X.Count != d.Labels.Count || layer.Y.Count != d.Labels.Count)
            throw new ArgumentException($"layer {layer.Layer}: {layer.X.Count} points for {d.Labels.Count} labels", nameof(d));
        var plot = new Plot();
        FigureFont.Apply(plot);
        for (int c = 0; c < d.Classes; c++)
        {
            var idx = Enumerable.Range(0, d.Labels.Count).Where(i => d.Labels[i] == c).ToArray();
            if (idx.Length == 0) continue;
            var m = plot.Add.Markers(idx.Select(i => layer.X[i]).ToArray(), idx.Select(i => layer.Y[i]).ToArray(), MarkerShape.FilledCircle, legend
                ? 6 : 4, FigurePalette.Colour(c));
            m.LegendText = d.ClassName(c);
        }
        plot.Axes.SetLimits(-0.05, 1.05, -0.05, 1.05);
        plot.Title($"layer {layer.Layer}: {d.Metric} {Fmt(layer.Score)}" + (layer.Pruned ? " (pruned)" : ""));
        plot.Axes.Title.Label.Bold = false;
        plot.Axes.Title.Label.ForeColor = layer.Pruned ? new Color(110, 110, 110) : Colors.Black;
        if (layer.Pruned) plot.DataBackground.Color = PrunedBackground;
        if (legend)
        {
            plot.Axes.Title.Label.FontSize = 15;
            plot.XLabel("t-SNE 1");
            plot.YLabel("t-SNE 2");
            if (d.Classes <= MaxLegendClasses) plot.ShowLegend(Edge.Right);
            else plot.Legend.IsVisible = false;
        }
        else
        {
            plot.Legend.IsVisible = false;
            plot.Axes.Title.Label.FontSize = 12;
            plot.Axes.Bottom.TickLabelStyle.FontSize = 9;
            plot.Axes.Left.TickLabelStyle.FontSize = 9;
        }
        return plot;
    }

    /// <summary>One layer with axes, a legend of class names and a title.</summary>
    public static Plot BuildLayer(TsneFigureData d, int layerIndex) => Panel(d, d.Layers[layerIndex], legend: true);

    public static Figure RenderLayer(TsneFigureData d, int layerIndex) => Figure.Of(BuildLayer(d, layerIndex), LayerSize + 140, LayerSize);

    /// <summary>Columns of the grid: about square, never more than the layers.</summary>
    public static int Columns(int layers) => Math.Max(1, Math.Min(layers, (int)Math.Ceiling(Math.Sqrt(layers))));

    /// <summary>The grid: a title band, the panels row by row, and one legend of the classes below them.</summary>
    public static Figure RenderGrid(TsneFigureData d)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (d.Layers.Count == 0) throw new ArgumentException("no layers to plot", nameof(d));
        int cols = Columns(d.Layers.Count), rows = (d.Layers.Count + cols - 1) / cols;
        const int titleBand = 44, pad = 8, swatch = 12, itemGap = 22;
        int width = cols * PanelSize + 2 * pad;

        // lay the legend out in lines that fit the width
        const float legendFontSize = 14;
        List<(int Class, string Text, float Width)> items;
        using (var measure = new SKFont(FigureFont.Typeface, legendFontSize))
            items = Enumerable.Range(0, d.Classes).Where(c => d.Labels.Contains(c)).Select(c => (Class: c, Text: d.ClassName(c), Width: swatch + 6
                + measure.MeasureText(d.ClassName(c)))).ToList();
        if (items.Count > MaxLegendClasses) items = [(-1, $"{items.Count} classes (colours repeat every {FigurePalette.Count})", 0f)];
        var lines = new List<List<(int Class, string Text, float Width)>> { new() };
        float lineWidth = 0;
        foreach (var it in items)
        {
            if (lines[^1].Count > 0 && lineWidth + itemGap + it.Width > width - 2 * pad) { lines.Add([]); lineWidth = 0; }
            lineWidth += (lines[^1].Count > 0 ? itemGap : 0) + it.Width;
            lines[^1].Add(it);
        }
        const int legendLine = 22;
        int height = titleBand + rows * PanelSize + pad + lines.Count * legendLine + pad;
        var panels = d.Layers.Select(l => Panel(d, l, legend: false)).ToList();
        foreach (var panel in panels) FigureTitle.Fit(panel, PanelSize, PanelSize);
        var (title, titleSize) = FigureTitle.Fit(d.Title, 18, width - 2 * pad);

        return new Figure(width, height, canvas =>
        {
            using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            using var titleFont = new SKFont(FigureFont.Typeface, titleSize);
            using var font = new SKFont(FigureFont.Typeface, legendFontSize);
            canvas.DrawText(title, width / 2f, 28, SKTextAlign.Center, titleFont, ink);
            for (int i = 0; i < panels.Count; i++)
            {
                int r = i / cols, c = i % cols;
                float left = pad + c * PanelSize, top = titleBand + r * PanelSize;
                // a plot clears its whole canvas: draw each panel translated and clipped to its own square
                canvas.Save();
                canvas.ClipRect(new SKRect(left, top, left + PanelSize, top + PanelSize));
                canvas.Translate(left, top);
                panels[i].Render(canvas, PanelSize, PanelSize);
                canvas.Restore();
            }
            float y = titleBand + rows * PanelSize + pad;
            foreach (var line in lines)
            {
                float total = line.Sum(it => it.Width) + itemGap * (line.Count - 1);
                float x = (width - total) / 2;
                foreach (var it in line)
                {
                    if (it.Class < 0)
                    {
                        canvas.DrawText(it.Text, width / 2f, y + 15, SKTextAlign.Center, font, ink);
                        continue;
                    }
                    var (cr, cg, cb) = FigurePalette.Rgb(it.Class);
                    using var fill = new SKPaint { Color = new SKColor(cr, cg, cb), IsAntialias = false };
                    canvas.DrawRect(x, y + 4, swatch, swatch, fill);
                    canvas.DrawText(it.Text, x + swatch + 6, y + 15, SKTextAlign.Left, font, ink);
                    x += it.Width + itemGap;
                }
                y += legendLine;
            }
        });
    }
}
