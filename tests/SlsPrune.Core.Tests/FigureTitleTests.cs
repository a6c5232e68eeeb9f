using ScottPlot;
using SkiaSharp;
using SlsPrune.Core.Plotting;
using StbImageSharp;

namespace SlsPrune.Core.Tests;

/// <summary>No figure clips its title: every kind rendered at its default size with the longest realistic task name,
/// method, metric, split and class names, then checked by measuring the drawn title against the figure (ScottPlot centres
/// it over the data area) and by the pixels: nothing but white in the outer columns of the title band.</summary>
public class FigureTitleTests
{
    // a TFDS task name, the longest method and metric names, CH scores (large numbers)
    private const string Task = "diabetic_retinopathy_detection_btgraham-300";
    private const string Metric = "calinski_harabasz";
    private static readonly string[] LongClasses = ["no diabetic retinopathy", "mild non-proliferative", "moderate non-proliferative",
        "severe non-proliferative", "proliferative retinopathy"];

    private static TsneFigureData Tsne(int layers)
    {
        var rng = new Random(5);
        var labels = Enumerable.Range(0, 5 * 20).Select(i => i / 20).ToArray();
        var list = Enumerable.Range(1, layers).Select(l => new TsneLayer(l, [.. labels.Select(_ => rng.NextDouble())], [.. labels.Select(_ =>
            rng.NextDouble())],
            12345.678 * l, l > layers - 2)).ToList();
        return new TsneFigureData($"{Task}: t-SNE of every layer ({Metric}; {layers - 2} of {layers} blocks kept)", Metric, list, labels,
            LongClasses);
    }

    private static ConfusionData Confusion(string what, int classes) =>
        new($"{Task}, train800val200 split, 10 of 12 blocks: {what}", [.. Enumerable.Range(0, classes).Select(r =>
            (IReadOnlyList<int>)[.. Enumerable.Range(0, classes).Select(c => r == c ? 40 : 3)])],
            LongClasses[..classes]);

    public static TheoryData<string> Kinds => ["score", "tsne-layer", "confusion-2", "confusion-5", "per-class-2", "per-class-5", "bars-1", "bars-3"];

    private static Figure Render(string kind) => kind switch
    {
        "score" => ScoreFigure.Render(new ScoreFigureData(Task, "depgraph", Metric, 0.125, [.. Enumerable.Range(1, 12).Select(i => 1000.0 * i)],
            [.. Enumerable.Range(1, 10)], 1500)),
        "tsne-layer" => TsneFigure.RenderLayer(Tsne(12), 11),
        "confusion-2" => ClassFigures.RenderConfusion(Confusion("confusion (top-1 100.0 %)", 2)),
        "confusion-5" => ClassFigures.RenderConfusion(Confusion("confusion (top-1 100.0 %)", 5)),
        "per-class-2" => ClassFigures.RenderPerClass(Confusion("top-1 per class", 2)),
        "per-class-5" => ClassFigures.RenderPerClass(Confusion("top-1 per class", 5)),
        "bars-1" => BarsFigure.Render(new BarsFigureData("top-1 after pruning (retrained where retrained), by group", "top-1 (%)", ["Specialized"],
            ["sls", "depgraph"], [[80], [70]])),
        "bars-3" => BarsFigure.Render(new BarsFigureData("top-1 after pruning (retrained where retrained), by group", "top-1 (%)", ["Natural",
            "Specialized", "Structured"],
            ["sls", "depgraph", "cka"], [[80, 70, 60], [75, 65, 55], [70, 60, 50]])),
        _ => throw new ArgumentException(kind),
    };

    private static (int Width, int Height, byte[] Px) Decode(byte[] png, string name)
    {
        if (Environment.GetEnvironmentVariable("SLS_PLOT_DUMP") is { Length: > 0 } dump)
        {
            Directory.CreateDirectory(dump);
            File.WriteAllBytes(Path.Combine(dump, name + ".png"), png);
        }
        var r = ImageResult.FromMemory(png, ColorComponents.RedGreenBlue);
        return (r.Width, r.Height, r.Data);
    }

    /// <summary>Pixels in columns [x0, x1) of rows [y0, y1) that are not (nearly) white.</summary>
    private static int Inked((int Width, int Height, byte[] Px) img, int x0, int x1, int y0, int y1)
    {
        int n = 0;
        for (int y = y0; y < Math.Min(y1, img.Height); y++)
            for (int x = Math.Max(0, x0); x < Math.Min(x1, img.Width); x++)
            {
                int o = (y * img.Width + x) * 3;
                if (img.Px[o] + img.Px[o + 1] + img.Px[o + 2] < 3 * 235) n++;
            }
        return n;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_plot_figures_title_fits_inside_the_figure(string kind)
    {
        var fig = Render(kind);
        var img = Decode(fig.Png(), "title-" + kind);
        var plot = fig.Plot!;
        var label = plot.Axes.Title.Label;
        var data = plot.LastRender.DataRect;
        float centre = (data.Left + data.Right) / 2;
        using var font = new SKFont(FigureFont.Typeface, label.FontSize);
        float half = font.MeasureText(label.Text) / 2;
        Assert.True(centre - half >= 0 && centre + half <= fig.Width, $"{kind}: title '{label.Text}' at {label.FontSize} pt spans "
            + $"{centre - half:F0}..{centre + half:F0} of {fig.Width} px");
        Assert.True(label.FontSize >= FigureTitle.MinSize);
        // nothing runs off either side in the band above the data area (the title's)
        int band = (int)data.Top;
        Assert.Equal(0, Inked(img, 0, 2, 0, band) + Inked(img, fig.Width - 2, fig.Width, 0, band));
        Assert.True(Inked(img, 0, fig.Width, 0, band) > 50, $"{kind}: no title drawn");
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(12)]
    public void The_tsne_grids_title_and_every_panels_title_fit(int layers)
    {
        var fig = TsneFigure.RenderGrid(Tsne(layers));
        var img = Decode(fig.Png(), $"title-tsne-grid-{layers}");
        // the figure's title band (44 px): nothing in the outer columns
        Assert.Equal(0, Inked(img, 0, 3, 0, 44) + Inked(img, fig.Width - 3, fig.Width, 0, 44));
        Assert.True(Inked(img, 0, fig.Width, 0, 44) > 100);
        // each panel's title row (its top 22 px): nothing at the panel's own left and right edges
        int cols = TsneFigure.Columns(layers);
        for (int i = 0; i < layers; i++)
        {
            int left = 8 + i % cols * TsneFigure.PanelSize, top = 44 + i / cols * TsneFigure.PanelSize;
            Assert.True(Inked(img, left, left + 2, top, top + 22) + Inked(img, left + TsneFigure.PanelSize - 2, left + TsneFigure.PanelSize, top,
                top + 22) == 0, $"panel {i + 1} title clipped");
        }
    }

    [Fact]
    public void A_title_that_fits_is_kept_a_long_one_set_smaller_and_an_absurd_one_shortened_in_the_middle()
    {
        Assert.Equal(("layer 3: silhouette 0.412", 15f), FigureTitle.Fit("layer 3: silhouette 0.412", 15, 500));
        string longer = $"{Task}: depgraph, {Metric}, alpha 0.125 (10 of 12 blocks kept)";
        var (text, size) = FigureTitle.Fit(longer, 15, 560);
        Assert.Equal(longer, text);
        Assert.InRange(size, FigureTitle.MinSize, 14.9f);
        Assert.True(FigureTitle.Measure(text, size) <= 560);
        string absurd = new string('x', 300) + " (10 of 12 blocks kept)";
        (text, size) = FigureTitle.Fit(absurd, 15, 400);
        Assert.Equal(FigureTitle.MinSize, size);
        Assert.Contains("\u2026", text, StringComparison.Ordinal);
        Assert.EndsWith("blocks kept)", text, StringComparison.Ordinal);
        Assert.StartsWith("xxxx", text, StringComparison.Ordinal);
        Assert.True(FigureTitle.Measure(text, size) <= 400);
        Assert.True(FigureTitle.Measure(text + "x", size) > 400 - 20);   // not cut more than it had to be
    }
}
