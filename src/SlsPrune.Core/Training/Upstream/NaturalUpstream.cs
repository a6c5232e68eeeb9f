using SlsPrune.Core.Data.FashionMnist;
using SlsPrune.Core.Data.Images;

namespace SlsPrune.Core.Training.Upstream;

/// <summary>
/// Colour, tint, background texture and scale, so that a backbone pre-trained on grey items transfers to coloured
/// scenes (the role ImageNet's variety plays for VTAB's natural tasks). With probability <see cref="PlainShare"/> the
/// plain image; otherwise the item is scaled to <c>[3/8, 1]</c> of the input size, placed anywhere, and drawn in a
/// random tint over one of four backgrounds: a flat colour, a linear gradient between two colours, a sinusoidal
/// texture around a colour (per-channel weights), or a colour with Gaussian pixel noise. Each pixel is
/// <c>background * (1 - a) + tint * a</c>, with <c>a</c> the item's grey level.
/// </summary>
internal sealed class NaturalUpstream : IUpstreamAugmentation
{
    public const double PlainShare = 0.2;

    public string Name => "natural";

    public string Description => "colour, tint, background texture (flat, gradient, sinusoid, noise) and scale (3/8 to 1); 20% plain";

    public bool SameEveryEpoch => false;

    public RgbImage Render(ReadOnlySpan<byte> grey, int height, int width, int size, Random rng)
    {
        if (rng.NextDouble() < PlainShare) return PlainUpstream.Resized(grey, height, width, size);
        int s = rng.Next(size * 3 / 8, size + 1);
        var item = new GreyCanvas(size, size);
        item.Paste(GreyCanvas.FromBytes(grey, width, height).Resize(s, s), rng.Next(0, size - s + 1), rng.Next(0, size - s + 1));
        var background = Background(rng, size);
        float[] tint = Colour(rng);
        var rgb = new byte[size * size * 3];
        var bg = new float[3];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                background(x, y, bg);
                float a = item[x, y];
                for (int c = 0; c < 3; c++) rgb[(y * size + x) * 3 + c] = GreyCanvas.ToByte(bg[c] * (1 - a) + tint[c] * a);
            }
        return new RgbImage(size, size, rgb);
    }

    /// <summary>One of the four backgrounds, drawn from <paramref name="rng"/>: writes pixel (x, y)'s colour.</summary>
    internal static Action<int, int, float[]> Background(Random rng, int size)
    {
        float[] c0 = Colour(rng);
        switch (rng.Next(4))
        {
            case 0:
                return (_, _, bg) => c0.CopyTo(bg, 0);
            case 1:
                {
                    float[] c1 = Colour(rng);
                    double angle = rng.NextDouble() * 2 * Math.PI;
                    float ux = (float)Math.Cos(angle), uy = (float)Math.Sin(angle);
                    return (x, y, bg) =>
                    {
                        float t = Math.Clamp(0.5f + ((x - size / 2f) * ux + (y - size / 2f) * uy) / size, 0, 1);
                        for (int c = 0; c < 3; c++) bg[c] = c0[c] * (1 - t) + c1[c] * t;
                    };
                }
            case 2:
                {
                    float fx = Uniform(rng, 0.1, 1.2), fy = Uniform(rng, 0.1, 1.2), px = Uniform(rng, 0, 2 * Math.PI), py = Uniform(rng, 0,
                        2 * Math.PI);
                    float amp = Uniform(rng, 0.05, 0.4);
                    float[] w = [Uniform(rng, -1, 1), Uniform(rng, -1, 1), Uniform(rng, -1, 1)];
                    return (x, y, bg) =>
                    {
                        float t = amp * MathF.Sin(x * fx + px) * MathF.Cos(y * fy + py);
                        for (int c = 0; c < 3; c++) bg[c] = c0[c] + w[c] * t;
                    };
                }
            default:
                {
                    float sigma = Uniform(rng, 0.02, 0.15);
                    return (_, _, bg) =>
                    {
                        for (int c = 0; c < 3; c++) bg[c] = c0[c] + sigma * Gaussian(rng);
                    };
                }
        }
    }

    private static float[] Colour(Random rng) => [(float)rng.NextDouble(), (float)rng.NextDouble(), (float)rng.NextDouble()];

    private static float Uniform(Random rng, double lo, double hi) => (float)(lo + (hi - lo) * rng.NextDouble());

    private static float Gaussian(Random rng) =>
        (float)(Math.Sqrt(-2.0 * Math.Log(1.0 - rng.NextDouble())) * Math.Cos(2.0 * Math.PI * rng.NextDouble()));
}
