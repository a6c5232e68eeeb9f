using SlsPrune.Core.Data.Images;

namespace SlsPrune.Core.Plotting;

/// <summary>A small RGB raster for plots: filled discs, lines (optionally dashed), rectangles and a 3x5 digit
/// font, saved as PNG.</summary>
public sealed class Raster
{
    private static readonly Dictionary<char, string[]> Font = new()
    {
        ['0'] = ["111", "101", "101", "101", "111"], ['1'] = ["010", "110", "010", "010", "111"],
        ['2'] = ["111", "001", "111", "100", "111"], ['3'] = ["111", "001", "111", "001", "111"],
        ['4'] = ["101", "101", "111", "001", "001"], ['5'] = ["111", "100", "111", "001", "111"],
        ['6'] = ["111", "100", "111", "101", "111"], ['7'] = ["111", "001", "010", "010", "010"],
        ['8'] = ["111", "101", "111", "101", "111"], ['9'] = ["111", "101", "111", "001", "111"],
        ['.'] = ["000", "000", "000", "000", "010"], ['-'] = ["000", "000", "111", "000", "000"],
    };

    public Raster(int width, int height, (byte R, byte G, byte B) background)
    {
        Width = width;
        Height = height;
        Pixels = new byte[width * height * 3];
        for (int i = 0; i < width * height; i++) (Pixels[3 * i], Pixels[3 * i + 1], Pixels[3 * i + 2]) = background;
    }

    public int Width { get; }

    public int Height { get; }

    public byte[] Pixels { get; }

    public void Set(int x, int y, (byte R, byte G, byte B) c)
    {
        if (x < 0 || y < 0 || x >= Width || y >= Height) return;
        int o = (y * Width + x) * 3;
        (Pixels[o], Pixels[o + 1], Pixels[o + 2]) = c;
    }

    public void Disc(double cx, double cy, double r, (byte, byte, byte) c)
    {
        for (int y = (int)(cy - r); y <= (int)(cy + r) + 1; y++)
            for (int x = (int)(cx - r); x <= (int)(cx + r) + 1; x++)
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) Set(x, y, c);
    }

    public void Rect(int x0, int y0, int x1, int y1, (byte, byte, byte) c)
    {
        for (int y = Math.Min(y0, y1); y <= Math.Max(y0, y1); y++)
            for (int x = Math.Min(x0, x1); x <= Math.Max(x0, x1); x++) Set(x, y, c);
    }

    public void Line(double x0, double y0, double x1, double y1, (byte, byte, byte) c, int thickness = 1, int dash = 0)
    {
        int steps = (int)Math.Max(Math.Abs(x1 - x0), Math.Abs(y1 - y0)) + 1;
        for (int s = 0; s <= steps; s++)
        {
            if (dash > 0 && s / dash % 2 == 1) continue;
            double t = (double)s / steps;
            int x = (int)Math.Round(x0 + (x1 - x0) * t), y = (int)Math.Round(y0 + (y1 - y0) * t);
            for (int dy = 0; dy < thickness; dy++)
                for (int dx = 0; dx < thickness; dx++) Set(x + dx - thickness / 2, y + dy - thickness / 2, c);
        }
    }

    /// <summary>Digits, '.', and '-' at (x, y) top-left, each glyph 3x5 scaled by <paramref name="scale"/>.</summary>
    public void Text(int x, int y, string text, (byte, byte, byte) c, int scale = 2)
    {
        foreach (char ch in text)
        {
            if (Font.TryGetValue(ch, out var glyph))
                for (int gy = 0; gy < 5; gy++)
                    for (int gx = 0; gx < 3; gx++)
                        if (glyph[gy][gx] == '1') Rect(x + gx * scale, y + gy * scale, x + gx * scale + scale - 1, y + gy * scale + scale - 1, c);
            x += 4 * scale;
        }
    }

    public void Save(string path) => AtomicFile.Write(path, s => s.Write(PngEncoder.Encode(Width, Height, 3, Pixels)));

    /// <summary>A qualitative palette (Tableau 10), cycling past ten classes.</summary>
    public static (byte R, byte G, byte B) Colour(long i) => Palette[(int)(((i % Palette.Length) + Palette.Length) % Palette.Length)];

    private static readonly (byte, byte, byte)[] Palette =
    [
        (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
        (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    ];
}
