using System.Globalization;
using ScottPlot;

namespace SlsPrune.Core.Plotting;

/// <summary>A split's confusion counts: <c>Counts[true class][predicted class]</c>, square; optional class names.</summary>
public sealed record ConfusionData(string Title, IReadOnlyList<IReadOnlyList<int>> Counts, IReadOnlyList<string>? ClassNames = null)
{
    public int Classes => Counts.Count;

    public string ClassName(int c) => ClassNames is not null && c < ClassNames.Count ? ClassNames[c] : c.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The confusion matrix (a heatmap with the count in each cell, true class down, predicted across) and
/// per-class accuracy bars.</summary>
public static class ClassFigures
{
    private static void Check(ConfusionData d)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (d.Classes == 0 || d.Counts.Any(r => r.Count != d.Classes)) throw new ArgumentException("the confusion matrix must be square and not "
            + "empty", nameof(d));
    }

    private static void ClassTicks(IAxis axis, ConfusionData d, Func<int, double> position)
    {
        int step = Math.Max(1, (int)Math.Ceiling(d.Classes / 25.0));
        var shown = Enumerable.Range(0, d.Classes).Where(c => c % step == 0).ToArray();
        axis.SetTicks(shown.Select(position).ToArray(), shown.Select(d.ClassName).ToArray());
    }

    public static Plot BuildConfusion(ConfusionData d)
    {
        Check(d);
        int n = d.Classes;
        var plot = new Plot();
        FigureFont.Apply(plot);
        var data = new double[n, n];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++) data[r, c] = d.Counts[r][c];
        var hm = plot.Add.Heatmap(data);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        // row 0 (true class 0) at the top: y = n - 1 - row
        hm.Extent = new CoordinateRect(-0.5, n - 0.5, -0.5, n - 0.5);
        int max = d.Counts.SelectMany(r => r).DefaultIfEmpty(0).Max();
        if (n <= 30)
            for (int r = 0; r < n; r++)
                for (int c = 0; c < n; c++)
                {
                    var t = plot.Add.Text(d.Counts[r][c].ToString(CultureInfo.InvariantCulture), c, n - 1 - r);
                    t.LabelAlignment = Alignment.MiddleCenter;
                    t.LabelFontSize = n <= 12 ? 13 : 9;
                    t.LabelFontName = FigureFont.Name;
                    t.LabelFontColor = d.Counts[r][c] > max * 0.6 ? Colors.Black : Colors.White;
                }
        plot.Add.ColorBar(hm);
        ClassTicks(plot.Axes.Bottom, d, c => c);
        ClassTicks(plot.Axes.Left, d, r => n - 1 - r);
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.HideGrid();
        plot.Title(d.Title);
        plot.Axes.Title.Label.Bold = false;
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        return plot;
    }

    /// <summary>Per-class top-1 (%): correct over the class's images, one bar per class in its palette colour.</summary>
    public static Plot BuildPerClass(ConfusionData d)
    {
        Check(d);
        int n = d.Classes;
        var plot = new Plot();
        FigureFont.Apply(plot);
        for (int c = 0; c < n; c++)
        {
            int total = d.Counts[c].Sum();
            double acc = total == 0 ? 0 : 100.0 * d.Counts[c][c] / total;
            plot.Add.Bar(new Bar
            {
                Position = c, Value = acc, FillColor = FigurePalette.Colour(c), LineWidth = 0, Label = n <= 20
                ? acc.ToString("0.#", CultureInfo.InvariantCulture) : ""
            });
        }
        ClassTicks(plot.Axes.Bottom, d, c => c);
        plot.Axes.SetLimits(-0.6, n - 0.4, 0, 108);
        plot.Title(d.Title);
        plot.Axes.Title.Label.Bold = false;
        plot.XLabel("class");
        plot.YLabel("top-1 accuracy (%)");
        return plot;
    }

    public static Figure RenderConfusion(ConfusionData d)
    {
        int side = Math.Clamp(120 + 36 * d.Classes, 520,
        1400); return Figure.Of(BuildConfusion(d), side + 100, side);
    }

    public static Figure RenderPerClass(ConfusionData d) => Figure.Of(BuildPerClass(d), Math.Clamp(200 + 40 * d.Classes, 600, 1600), 420);
}
