using ScottPlot;

namespace SlsPrune.Core.Plotting;

/// <summary>Colours every figure shares: a qualitative palette for classes (Tableau 10, cycling past ten) and the
/// fixed colours of lines, threshold and shading.</summary>
public static class FigurePalette
{
    private static readonly (byte R, byte G, byte B)[] Classes = [
        (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
        (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    ];

    public static int Count => Classes.Length;

    /// <summary>The class colour as RGB bytes (tests compare pixels with it).</summary>
    public static (byte R, byte G, byte B) Rgb(long i) => Classes[(int)(((i % Classes.Length) + Classes.Length) % Classes.Length)];

    public static Color Colour(long i) { var (r, g, b) = Rgb(i); return new Color(r, g, b); }

    /// <summary>Scores line and its kept-layer markers.</summary>
    public static readonly Color Line = new(31, 119, 180);

    /// <summary>The dashed threshold line: pure red, which no class colour is.</summary>
    public static readonly (byte R, byte G, byte B) ThresholdRgb = (230, 0, 0);

    public static readonly Color Threshold = new(ThresholdRgb.R, ThresholdRgb.G, ThresholdRgb.B);

    /// <summary>Accuracy on the second axis.</summary>
    public static readonly Color Accuracy = new(255, 127, 14);

    public static readonly Color Pruned = new(150, 150, 150);

    public static readonly Color Shade = new(0, 0, 0, 28);
}
