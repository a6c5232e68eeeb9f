using SlsPrune.Core.Data.Images;

namespace SlsPrune.Core.Data.FashionMnist;

/// <summary>A float greyscale image in [0, 1] and the few operations the benchmark tasks compose.</summary>
internal sealed class GreyCanvas
{
    public GreyCanvas(int width, int height, float[]? values = null)
    {
        Width = width;
        Height = height;
        Values = values ?? new float[width * height];
    }

    public int Width { get; }

    public int Height { get; }

    public float[] Values { get; }

    public float this[int x, int y]
    {
        get => Values[y * Width + x];
        set => Values[y * Width + x] = value;
    }

    public static GreyCanvas FromBytes(ReadOnlySpan<byte> pixels, int width, int height)
    {
        var c = new GreyCanvas(width, height);
        for (int i = 0; i < c.Values.Length; i++) c.Values[i] = pixels[i] / 255f;
        return c;
    }

    /// <summary>Pillow-style bicubic resize (the same code the model pipeline uses).</summary>
    public GreyCanvas Resize(int width, int height)
    {
        var rgb = new byte[Width * Height * 3];
        for (int i = 0; i < Values.Length; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = ToByte(Values[i]);
        var r = PilBicubicResize.Resize(new RgbImage(Width, Height, rgb), width, height);
        var c = new GreyCanvas(width, height);
        for (int i = 0; i < c.Values.Length; i++) c.Values[i] = r.Pixels[i * 3] / 255f;
        return c;
    }

    /// <summary>Rotation by <paramref name="degrees"/> (counter-clockwise) about the centre, bilinear, onto a
    /// canvas of the same size; what falls outside is black.</summary>
    public GreyCanvas Rotate(double degrees)
    {
        var c = new GreyCanvas(Width, Height);
        double t = degrees * Math.PI / 180, cos = Math.Cos(t), sin = Math.Sin(t);
        double cx = (Width - 1) / 2.0, cy = (Height - 1) / 2.0;
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
            {
                double dx = x - cx, dy = y - cy;
                double sx = cos * dx - sin * dy + cx, sy = sin * dx + cos * dy + cy;
                int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
                double fx = sx - x0, fy = sy - y0;
                double v = (1 - fx) * (1 - fy) * At(x0, y0) + fx * (1 - fy) * At(x0 + 1, y0) + (1 - fx) * fy * At(x0, y0 + 1) + fx * fy * At(x0 + 1,
                    y0 + 1);
                c[x, y] = (float)v;
            }
        return c;
    }

    private float At(int x, int y) => x >= 0 && y >= 0 && x < Width && y < Height ? this[x, y] : 0f;

    /// <summary>Pads with black to a larger centred canvas.</summary>
    public GreyCanvas Pad(int width, int height)
    {
        var c = new GreyCanvas(width, height);
        c.Paste(this, (width - Width) / 2, (height - Height) / 2);
        return c;
    }

    /// <summary>Draws <paramref name="item"/> at (x, y), keeping the brighter value where they overlap.</summary>
    public void Paste(GreyCanvas item, int x, int y)
    {
        for (int j = 0; j < item.Height; j++)
            for (int i = 0; i < item.Width; i++)
            {
                int px = x + i, py = y + j;
                if (px < 0 || py < 0 || px >= Width || py >= Height) continue;
                this[px, py] = Math.Max(this[px, py], item[i, j]);
            }
    }

    public byte[] ToBytes() => Values.Select(ToByte).ToArray();

    public static byte ToByte(float v) => (byte)Math.Clamp((int)MathF.Round(v * 255f), 0, 255);
}
