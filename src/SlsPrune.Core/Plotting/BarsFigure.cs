using ScottPlot;

namespace SlsPrune.Core.Plotting;

/// <summary>Grouped bars: for each group (a task group, the average) one bar per series (a method), coloured by series,
/// with a legend of the series. <c>Values[series][group]</c>; NaN leaves a bar out.</summary>
public sealed record BarsFigureData(string Title, string YLabel, IReadOnlyList<string> Groups, IReadOnlyList<string> Series,
    IReadOnlyList<IReadOnlyList<double>> Values);

public static class BarsFigure
{
    public static Plot Build(BarsFigureData d)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (d.Values.Count != d.Series.Count || d.Values.Any(v => v.Count != d.Groups.Count))
            throw new ArgumentException("one value per series and group", nameof(d));
        var plot = new Plot();
        FigureFont.Apply(plot);
        int s = d.Series.Count;
        double width = 0.8 / Math.Max(1, s);
        for (int i = 0; i < s; i++)
        {
            var bars = new List<Bar>();
            for (int g = 0; g < d.Groups.Count; g++)
                if (!double.IsNaN(d.Values[i][g]))
                    bars.Add(new Bar
                    {
                        Position = g - 0.4 + width * (i + 0.5), Value = d.Values[i][g], Size = width * 0.92, FillColor =
                        FigurePalette.Colour(i), LineWidth = 0
                    });
            var bp = plot.Add.Bars(bars);
            bp.LegendText = d.Series[i];
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, d.Groups.Count).Select(g => (double)g).ToArray(), d.Groups.ToArray());
        double max = d.Values.SelectMany(v => v).Where(v => !double.IsNaN(v)).DefaultIfEmpty(1).Max();
        plot.Axes.SetLimits(-0.6, d.Groups.Count - 0.4, 0, max * 1.12);
        plot.Title(d.Title);
        plot.Axes.Title.Label.Bold = false;
        plot.YLabel(d.YLabel);
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    public static Figure Render(BarsFigureData d) => Figure.Of(Build(d), Math.Clamp(300 + 120 * d.Groups.Count, 600, 1200), 400);
}
