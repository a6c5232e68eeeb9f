using ScottPlot;
using SlsPrune.Core.Plotting;
using StbImageSharp;

namespace SlsPrune.Core.Tests;

/// <summary>Every figure rendered from fixture data and checked where it could go wrong: size, the class colours in
/// the plot area, the threshold at its value's pixel row, text drawn with the shipped font.</summary>
public class PlotTests
{
    private sealed record Image(int Width, int Height, byte[] Px)
    {
        public (byte R, byte G, byte B) At(int x, int y) { int o = (y * Width + x) * 3; return (Px[o], Px[o + 1], Px[o + 2]); }
    }

    private static Image Decode(byte[] png, string? dumpName = null)
    {
        if (dumpName is not null && Environment.GetEnvironmentVariable("SLS_PLOT_DUMP") is { Length: > 0 } dump)
        {
            Directory.CreateDirectory(dump);
            File.WriteAllBytes(Path.Combine(dump, dumpName + ".png"), png);
        }
        var r = ImageResult.FromMemory(png, ColorComponents.RedGreenBlue);
        return new Image(r.Width, r.Height, r.Data);
    }

    private static bool Near((byte R, byte G, byte B) a, (byte R, byte G, byte B) b, int tol) =>
        Math.Abs(a.R - b.R) <= tol && Math.Abs(a.G - b.G) <= tol && Math.Abs(a.B - b.B) <= tol;

    /// <summary>Which class colours (palette indices, grey left out: antialiased text makes every grey) appear exactly in a rectangle.</summary>
    private static SortedSet<int> PaletteColours(Image img, PixelRect r)
    {
        var lookup = Enumerable.Range(0, FigurePalette.Count).Where(i => i != 7).ToDictionary(i => FigurePalette.Rgb(i), i => i);
        var found = new SortedSet<int>();
        for (int y = Math.Max(0, (int)r.Top); y < Math.Min(img.Height, (int)r.Bottom); y++)
            for (int x = Math.Max(0, (int)r.Left); x < Math.Min(img.Width, (int)r.Right); x++)
                if (lookup.TryGetValue(img.At(x, y), out int i)) found.Add(i);
        return found;
    }

    private static int Dark(Image img, int x0, int y0, int x1, int y1)
    {
        int n = 0;
        for (int y = Math.Max(0, y0); y < Math.Min(img.Height, y1); y++)
            for (int x = Math.Max(0, x0); x < Math.Min(img.Width, x1); x++)
            {
                var (r, g, b) = img.At(x, y);
                if (r + g + b < 200) n++;
            }
        return n;
    }

    internal static ScoreFigureData Scores(double? threshold = 0.3, IReadOnlyList<double>? std = null, IReadOnlyList<double>? acc = null) =>
        new("caltech101", "sls", "silhouette", 0.3, [0.05, 0.12, 0.2, 0.45, 0.6, 0.72, 0.8, 0.85, 0.9, 0.95, 1.0, 1.0], [1, 2, 3, 4, 5, 6, 7, 8, 9],
            threshold, std, acc);

    internal static TsneFigureData Tsne(int layers = 5, int classes = 4)
    {
        var rng = new Random(3);
        int perClass = 25;
        var labels = Enumerable.Range(0, classes * perClass).Select(i => i / perClass).ToArray();
        var list = Enumerable.Range(1, layers).Select(l =>
        {
            double spread = 1.0 / l;
            var xs = labels.Select(c => Math.Clamp(0.2 + 0.6 * (c % 2) + spread * 0.3 * (rng.NextDouble() - 0.5), 0, 1)).ToArray();
            var ys = labels.Select(c => Math.Clamp(0.2 + 0.6 * (c / 2 % 2) + spread * 0.3 * (rng.NextDouble() - 0.5), 0, 1)).ToArray();
            return new TsneLayer(l, xs, ys, 0.1 * l, l > 3);
        }).ToList();
        return new TsneFigureData("fixture: t-SNE of every layer", "silhouette", list, labels, ["airplane", "bird", "cat", "dog"]);
    }

    [Fact]
    public void Score_figure_has_its_size_and_the_threshold_dashed_at_its_value()
    {
        var data = Scores();
        var plot = ScoreFigure.Build(data);
        var img = Decode(Figure.Of(plot, ScoreFigure.Width, ScoreFigure.Height).Png(), "scores");
        Assert.Equal((ScoreFigure.Width, ScoreFigure.Height), (img.Width, img.Height));
        var area = plot.LastRender.DataRect;
        int row = (int)Math.Round(plot.GetPixel(new Coordinates(1, 0.3)).Y);
        int Red(int y) => Enumerable.Range((int)area.Left + 2, (int)area.Width - 4).Count(x => Near(img.At(x, y), FigurePalette.ThresholdRgb, 60));
        int onLine = Math.Max(Red(row), Math.Max(Red(row - 1), Red(row + 1)));
        Assert.True(onLine > area.Width * 0.25, $"only {onLine} threshold-red pixels on row {row}");
        Assert.True(onLine < area.Width * 0.9, $"{onLine} red pixels on row {row}: the line is not dashed");
        Assert.Equal(0, Red(row - 12) + Red(row + 12));
        // the pruned blocks (10..12) are shaded, the kept ones are not
        var shaded = plot.GetPixel(new Coordinates(11.7, 0.65));
        var clear = plot.GetPixel(new Coordinates(1.7, 0.65));
        Assert.True(img.At((int)shaded.X, (int)shaded.Y).R < 240, $"pruned area colour {img.At((int)shaded.X, (int)shaded.Y)}");
        Assert.True(img.At((int)clear.X, (int)clear.Y).R > 245, $"kept area colour {img.At((int)clear.X, (int)clear.Y)}");
        // the score markers are drawn in the line colour at their values
        var p5 = plot.GetPixel(new Coordinates(5, 0.6));
        Assert.True(Near(img.At((int)Math.Round(p5.X), (int)Math.Round(p5.Y)), (31, 119, 180), 30));
    }

    [Fact]
    public void Score_figure_without_a_threshold_has_no_red_and_takes_error_bars_and_accuracy()
    {
        var plot = ScoreFigure.Build(Scores(threshold: null, std: Enumerable.Repeat(0.05, 12).ToArray(), acc: Enumerable.Range(1, 12).Select(i =>
            40.0 + 4 * i).ToArray()));
        var img = Decode(Figure.Of(plot, ScoreFigure.Width, ScoreFigure.Height).Png(), "scores_acc");
        var area = plot.LastRender.DataRect;
        int red = 0;
        for (int y = (int)area.Top; y < (int)area.Bottom; y++)
            for (int x = (int)area.Left; x < (int)area.Right; x++) if (Near(img.At(x, y), FigurePalette.ThresholdRgb, 40)) red++;
        Assert.Equal(0, red);
        var acc = plot.GetPixel(new Coordinates(6, 64), plot.Axes.Bottom, plot.Axes.Right);
        Assert.True(Near(img.At((int)Math.Round(acc.X), (int)Math.Round(acc.Y)), (255, 127, 14), 40),
            $"accuracy marker colour {img.At((int)acc.X, (int)acc.Y)}");
        Assert.Throws<ArgumentException>(() => ScoreFigure.Build(Scores(std: [0.1])));
    }

    [Fact]
    public void Text_is_drawn_with_the_shipped_font()
    {
        var plot = ScoreFigure.Build(Scores());
        var img = Decode(Figure.Of(plot, ScoreFigure.Width, ScoreFigure.Height).Png());
        // ScottPlot caches typefaces per process: the shipped one was handed out at least once, and it is what the title's font name resolves to
        Assert.True(FigureFont.Resolved > 0, "the shipped font was never asked for");
        Assert.Equal(FigureFont.Name, plot.Axes.Title.Label.FontName);
        Assert.Equal(FigureFont.Typeface.Handle, Fonts.GetTypeface(plot.Axes.Title.Label.FontName, false, false).Handle);
        Assert.Equal(FigureFont.Typeface.Handle, Fonts.GetTypeface(plot.Axes.Bottom.Label.FontName, true, false).Handle);
        Assert.Equal(FigureFont.Name, FigureFont.Typeface.FamilyName);
        var area = plot.LastRender.DataRect;
        int title = Dark(img, (int)area.Left, 0, (int)area.Right, (int)area.Top - 2);
        Assert.True(title > 150, $"{title} dark pixels in the title band");
        // the same plot without a title leaves the band empty: the dark pixels were the text
        plot.Title("");
        var bare = Decode(Figure.Of(plot, ScoreFigure.Width, ScoreFigure.Height).Png());
        Assert.True(Dark(bare, (int)area.Left, 0, (int)area.Right, (int)plot.LastRender.DataRect.Top - 2) < title / 10);
    }

    [Fact]
    public void Tsne_layer_shows_one_colour_per_class_in_the_plot_area()
    {
        var data = Tsne();
        var fig = TsneFigure.RenderLayer(data, 0);
        var img = Decode(fig.Png(), "tsne_layer01");
        var plot = fig.Plot!;
        Assert.Equal((TsneFigure.LayerSize + 140, TsneFigure.LayerSize), (img.Width, img.Height));
        Assert.Equal(new SortedSet<int> { 0, 1, 2, 3 }, PaletteColours(img, plot.LastRender.DataRect));
        Assert.True(Dark(img, (int)plot.LastRender.DataRect.Right, 0, img.Width, img.Height) > 100, "no legend text right of the plot");
    }

    [Fact]
    public void Tsne_grid_has_a_panel_per_layer_and_one_legend()
    {
        var data = Tsne(layers: 5, classes: 4);
        var img = Decode(TsneFigure.RenderGrid(data).Png(), "tsne_grid");
        Assert.Equal(3, TsneFigure.Columns(5));
        Assert.Equal(3 * TsneFigure.PanelSize + 16, img.Width);
        Assert.True(img.Height > 2 * TsneFigure.PanelSize + 44);
        Assert.Equal(new SortedSet<int> { 0, 1, 2, 3 }, PaletteColours(img, new PixelRect(0, img.Width, img.Height, 0)));
        // every panel has its points: each panel's square holds the class colours
        for (int i = 0; i < 5; i++)
        {
            int left = 8 + i % 3 * TsneFigure.PanelSize, top = 44 + i / 3 * TsneFigure.PanelSize;
            Assert.Equal(4, PaletteColours(img, new PixelRect(left, left + TsneFigure.PanelSize, top + TsneFigure.PanelSize, top)).Count);
        }
        // the sixth cell is empty
        int l6 = 8 + 2 * TsneFigure.PanelSize, t6 = 44 + TsneFigure.PanelSize;
        Assert.Empty(PaletteColours(img, new PixelRect(l6, l6 + TsneFigure.PanelSize, t6 + TsneFigure.PanelSize, t6)));
        Assert.True(Dark(img, 0, 0, img.Width, 40) > 100, "no title text");
        var svg = TsneFigure.RenderGrid(data).Svg();
        Assert.StartsWith("<?xml", svg.TrimStart(), StringComparison.Ordinal);
        Assert.Contains("<svg", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void Many_classes_keep_the_figures_readable()
    {
        var data = Tsne(layers: 2, classes: 60);
        var grid = TsneFigure.RenderGrid(data);
        var img = Decode(grid.Png(), "tsne_grid_60");
        // one legend line naming the count instead of 60 entries
        Assert.True(img.Height < 44 + TsneFigure.PanelSize + 60, $"grid height {img.Height}");
        var layer = TsneFigure.RenderLayer(data, 0);
        Decode(layer.Png());
        Assert.False(layer.Plot!.Legend.IsVisible);
        var big = new ConfusionData("100 classes", Enumerable.Range(0, 100).Select(r => (IReadOnlyList<int>)Enumerable.Range(0, 100).Select(c =>
            r == c ? 9 : 0).ToArray()).ToArray());
        var conf = ClassFigures.RenderConfusion(big);
        Assert.Equal((conf.Width, conf.Height), (Decode(conf.Png()).Width, Decode(conf.Png()).Height));
    }

    internal static ConfusionData Confusion() => new("fixture: test split", [[50, 0, 2], [3, 30, 7], [1, 4, 20]], ["cat", "dog", "bird"]);

    [Fact]
    public void Confusion_matrix_puts_true_class_zero_at_the_top_left()
    {
        var data = Confusion();
        var fig = ClassFigures.RenderConfusion(data);
        var plot = fig.Plot!;
        var img = Decode(fig.Png(), "confusion");
        Assert.Equal((fig.Width, fig.Height), (img.Width, img.Height));
        // the largest count (true 0, predicted 0) is viridis yellow; (true 0, predicted 1) = 0 is dark purple
        var hot = plot.GetPixel(new Coordinates(-0.35, 2.35));
        var cold = plot.GetPixel(new Coordinates(0.65, 2.35));
        var (r, g, b) = img.At((int)hot.X, (int)hot.Y);
        Assert.True(r > 200 && g > 200 && b < 120, $"top-left cell {(r, g, b)}");
        (r, g, b) = img.At((int)cold.X, (int)cold.Y);
        Assert.True(r < 100 && g < 60 && b > 60, $"cell (0, 1) {(r, g, b)}");
    }

    [Fact]
    public void Per_class_bars_use_each_class_colour_at_its_accuracy()
    {
        var data = Confusion();
        var fig = ClassFigures.RenderPerClass(data);
        var plot = fig.Plot!;
        var img = Decode(fig.Png(), "per_class");
        Assert.Equal(new SortedSet<int> { 0, 1, 2 }, PaletteColours(img, plot.LastRender.DataRect));
        // class 1: 30 of 40 = 75 %: inside the bar below, background above
        var inside = plot.GetPixel(new Coordinates(1, 70));
        var above = plot.GetPixel(new Coordinates(1, 80));
        Assert.Equal(FigurePalette.Rgb(1), img.At((int)inside.X, (int)inside.Y));
        Assert.NotEqual(FigurePalette.Rgb(1), img.At((int)above.X, (int)above.Y));
    }

    [Fact]
    public void Figures_save_png_and_svg()
    {
        string dir = Path.Combine(Path.GetTempPath(), "sls-plots-" + Guid.NewGuid().ToString("N"));
        try
        {
            var files = ScoreFigure.Render(Scores()).Save(dir, "scores");
            Assert.Equal(new[] { "scores.png", "scores.svg" }, files.Select(Path.GetFileName).ToArray());
            Assert.Equal((ScoreFigure.Width, ScoreFigure.Height), (Decode(File.ReadAllBytes(files[0])).Width, Decode(File.ReadAllBytes(files[0]))
                .Height));
            string svg = File.ReadAllText(files[1]);
            Assert.Contains("<svg", svg, StringComparison.Ordinal);
            Assert.Contains("caltech101", svg, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        }
        finally { Directory.Delete(dir, true); }
    }
}
