using ScottPlot;
using SkiaSharp;
using SlsPrune.Core.IO;

namespace SlsPrune.Core.Plotting;

/// <summary>A finished figure: its size and how to draw it on a canvas, written as PNG and SVG (the same drawing on a
/// raster surface and on Skia's SVG canvas).</summary>
public sealed class Figure(int width, int height, Action<SKCanvas> draw)
{
    public int Width { get; } = width > 0 ? width : throw new ArgumentOutOfRangeException(nameof(width));

    public int Height { get; } = height > 0 ? height : throw new ArgumentOutOfRangeException(nameof(height));

    /// <summary>A single ScottPlot plot at the given size (its <c>LastRender</c> then holds the pixel transform), its title
    /// fitted to the figure (<see cref="FigureTitle"/>).</summary>
    public static Figure Of(Plot plot, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(plot);
        FigureTitle.Fit(plot, width, height);
        return new(width, height, c => plot.Render(c, width, height)) { Plot = plot };
    }

    /// <summary>The plot of a single-plot figure (null for a composed one such as the t-SNE grid).</summary>
    public Plot? Plot { get; private init; }

    public byte[] Png()
    {
        FigureFont.Register();
        using var surface = SKSurface.Create(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"cannot allocate a {Width}x{Height} drawing surface");
        surface.Canvas.Clear(SKColors.White);
        draw(surface.Canvas);
        surface.Canvas.Flush();
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    public string Svg()
    {
        FigureFont.Register();
        using var ms = new MemoryStream();
        using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, Width, Height), ms))
        {
            canvas.Clear(SKColors.White);
            draw(canvas);
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Writes <c>DIR/NAME.png</c> and <c>DIR/NAME.svg</c> atomically; returns their full paths.</summary>
    public IReadOnlyList<string> Save(string dir, string name)
    {
        string png = Path.GetFullPath(Path.Combine(dir, name + ".png")), svg = Path.GetFullPath(Path.Combine(dir, name + ".svg"));
        byte[] pngBytes = Png();
        AtomicFile.Write(png, s => s.Write(pngBytes));
        byte[] svgBytes = System.Text.Encoding.UTF8.GetBytes(Svg());
        AtomicFile.Write(svg, s => s.Write(svgBytes));
        return [png, svg];
    }
}
