using ScottPlot;
using SkiaSharp;

namespace SlsPrune.Core.Plotting;

/// <summary>Titles that always fit their figure: a title wider than the room it has is set smaller (down to
/// <see cref="MinSize"/>), and one still too wide loses its middle to an ellipsis, so a long task name never runs off
/// the edge. A ScottPlot title is centred over the data area, so its room is twice the distance from that centre to the
/// nearer edge of the figure, less <see cref="Margin"/> on each side.</summary>
public static class FigureTitle
{
    public const float MinSize = 10, Margin = 6;

    /// <summary>The width <paramref name="text"/> takes at <paramref name="size"/> in the figures' font.</summary>
    public static float Measure(string text, float size)
    {
        using var font = new SKFont(FigureFont.Typeface, size);
        return font.MeasureText(text);
    }

    /// <summary>The text and size that fit <paramref name="room"/> pixels: as given if it fits, else smaller, else shortened in the middle.</summary>
    public static (string Text, float Size) Fit(string text, float size, float room)
    {
        float width = Measure(text, size);
        if (width <= room) return (text, size);
        float smaller = Math.Max(MinSize, (float)Math.Floor(size * room / width * 10) / 10);
        if (Measure(text, smaller) <= room) return (text, smaller);
        // keep as much of both ends as fits: the task name's start and the numbers at the end say the most
        for (int keep = text.Length - 1; keep > 1; keep--)
        {
            int head = (keep + 1) / 2;
            string cut = text[..head] + "\u2026" + text[^(keep - head)..];
            if (Measure(cut, smaller) <= room) return (cut, smaller);
        }
        return ("\u2026", smaller);
    }

    /// <summary>Fits <paramref name="plot"/>'s title to the figure it is drawn in (<paramref name="width"/> x
    /// <paramref name="height"/>): laid out once to find the data area, then fitted.</summary>
    public static void Fit(Plot plot, int width, int height)
    {
        var label = plot.Axes.Title.Label;
        if (string.IsNullOrEmpty(label.Text)) return;
        FigureFont.Register();
        var (text, size) = Fit(label.Text, label.FontSize, Room(plot, width, height));
        label.Text = text;
        label.FontSize = size;
    }

    /// <summary>The room a plot's title has at this size: from the centre of the data area to the nearer edge, twice, less the margins.</summary>
    public static float Room(Plot plot, int width, int height)
    {
        using (var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"cannot allocate a {width}x{height} drawing surface"))
            plot.Render(surface.Canvas, width, height);
        var data = plot.LastRender.DataRect;
        float centre = (data.Left + data.Right) / 2;
        return 2 * Math.Min(centre, width - centre) - 2 * Margin;
    }
}
