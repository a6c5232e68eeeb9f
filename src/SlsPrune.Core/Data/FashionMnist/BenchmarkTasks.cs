namespace SlsPrune.Core.Data.FashionMnist;

/// <summary>The Fashion-MNIST test images the downstream tasks draw from (the 60k training images are the
/// upstream set, so no downstream image was seen upstream).</summary>
internal sealed record SourceImages(byte[] Pixels, byte[] Labels)
{
    public int Count => Labels.Length;

    public GreyCanvas Item(int index) => GreyCanvas.FromBytes(Pixels.AsSpan(index * 784, 784), 28, 28);
}

/// <summary>One rendered task image: pixels (1 or 3 channels) and its label.</summary>
internal sealed record Rendered(byte[] Pixels, int Channels, int Size, int Label);

/// <summary>A downstream task: which source images it may use and how it turns them into a labelled image.</summary>
internal abstract record TaskRecipe(string Name, string Group, string Varies, IReadOnlyList<string> Classes, int Size)
{
    /// <summary>Source indices this task draws from (all by default).</summary>
    public virtual bool Uses(int sourceLabel) => true;

    /// <param name="pool">source indices reserved for this image's split.</param>
    /// <param name="slot">this image's position in its split.</param>
    public abstract Rendered Render(SourceImages src, IReadOnlyList<int> pool, int slot, Random rng);

    protected static float Gaussian(Random rng) =>
        (float)(Math.Sqrt(-2.0 * Math.Log(1.0 - rng.NextDouble())) * Math.Cos(2.0 * Math.PI * rng.NextDouble()));

    protected static byte[] Colourise(GreyCanvas item, Func<int, int, float[]> background, float[] tint)
    {
        var rgb = new byte[item.Width * item.Height * 3];
        for (int y = 0; y < item.Height; y++)
            for (int x = 0; x < item.Width; x++)
            {
                float a = item[x, y];
                var bg = background(x, y);
                for (int c = 0; c < 3; c++) rgb[(y * item.Width + x) * 3 + c] = GreyCanvas.ToByte(bg[c] * (1 - a) + tint[c] * a);
            }
        return rgb;
    }

    protected static float[] RandomColour(Random rng) => [(float)rng.NextDouble(), (float)rng.NextDouble(), (float)rng.NextDouble()];
}

/// <summary>The seven tasks, spanning VTAB's natural, specialized and structured groups in increasing distance
/// from the upstream task (classifying centred grey Fashion-MNIST items).</summary>
internal static class BenchmarkTasks
{
    public static readonly string[] FashionClasses =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public static IReadOnlyList<TaskRecipe> All { get; } = [
        new SubsetScale(), new ColourTexture(), new InvertedLowContrast(), new NoisyBlur(), new Rotation(), new Location(), new Count(),
    ];

    private sealed record SubsetScale() : TaskRecipe("natural-subset-scale", "natural",
        "5-class subset (T-shirt/top, Trouser, Sandal, Sneaker, Bag), item scaled to 12-20 px at a random place on a 32x32 colour-gradient "
            + "background, random tint",
        ["T-shirt/top", "Trouser", "Sandal", "Sneaker", "Bag"], 32)
    {
        private static readonly int[] Subset = [0, 1, 5, 7, 8];

        public override bool Uses(int sourceLabel) => Subset.Contains(sourceLabel);

        public override Rendered Render(SourceImages src, IReadOnlyList<int> pool, int slot, Random rng)
        {
            int idx = pool[slot];
            int s = rng.Next(12, 21);
            var item = new GreyCanvas(Size, Size);
            item.Paste(src.Item(idx).Resize(s, s), rng.Next(0, Size - s + 1), rng.Next(0, Size - s + 1));
            float[] c0 = RandomColour(rng), c1 = RandomColour(rng), tint = RandomColour(rng);
            double angle = rng.NextDouble() * Math.PI * 2;
            float ux = (float)Math.Cos(angle), uy = (float)Math.Sin(angle);
            var px = Colourise(item, (x, y) =>
            {
                float t = Math.Clamp(0.5f + ((x - Size / 2f) * ux + (y - Size / 2f) * uy) / Size, 0, 1);
                return [c0[0] * (1 - t) + c1[0] * t, c0[1] * (1 - t) + c1[1] * t, c0[2] * (1 - t) + c1[2] * t];
            }, tint);
            return new Rendered(px, 3, Size, Array.IndexOf(Subset, src.Labels[idx]));
        }
    }

    private sealed record ColourTexture() : TaskRecipe("natural-colour-texture", "natural",
        "all 10 classes, full-size item shifted by up to 4 px on a 32x32 canvas with a random-colour sinusoidal texture, random tint",
        FashionClasses, 32)
    {
        public override Rendered Render(SourceImages src, IReadOnlyList<int> pool, int slot, Random rng)
        {
            int idx = pool[slot];
            var item = new GreyCanvas(Size, Size);
            item.Paste(src.Item(idx), rng.Next(0, 5), rng.Next(0, 5));
            float[] bg = RandomColour(rng), tint = RandomColour(rng);
            float fx = (float)(rng.NextDouble() * 0.8 + 0.2), fy = (float)(rng.NextDouble() * 0.8 + 0.2), amp = (float)(rng.NextDouble() * 0.3);
            var px = Colourise(item, (x, y) =>
            {
                float t = amp * MathF.Sin(x * fx) * MathF.Cos(y * fy);
                return [bg[0] + t, bg[1] - t, bg[2] + t / 2];
            }, tint);
            return new Rendered(px, 3, Size, src.Labels[idx]);
        }
    }

    private sealed record InvertedLowContrast() : TaskRecipe("specialized-inverted-lowcontrast", "specialized",
        "all 10 classes, 28x28 grey, inverted, contrast reduced to 15-35% around a random mid level",
        FashionClasses, 28)
    {
        public override Rendered Render(SourceImages src, IReadOnlyList<int> pool, int slot, Random rng)
        {
            int idx = pool[slot];
            var item = src.Item(idx);
            float contrast = (float)(0.15 + 0.2 * rng.NextDouble()), mid = (float)(0.4 + 0.2 * rng.NextDouble());
            for (int i = 0; i < item.Values.Length; i++) item.Values[i] = mid + ((1 - item.Values[i]) - 0.5f) * contrast;
            return new Rendered(item.ToBytes(), 1, Size, src.Labels[idx]);
        }
    }

    private sealed record NoisyBlur() : TaskRecipe("specialized-noisy-blur", "specialized",
        "all 10 classes, 28x28 grey, 3x3 box blur, random gain 0.5-1, additive Gaussian sensor noise (sigma 0.2)",
        FashionClasses, 28)
    {
        public override Rendered Render(SourceImages src, IReadOnlyList<int> pool, int slot, Random rng)
        {
            int idx = pool[slot];
            var item = src.Item(idx);
            var blurred = new GreyCanvas(28, 28);
            float gain = (float)(0.5 + 0.5 * rng.NextDouble());
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++)
                {
                    float s = 0;
                    int n = 0;
                    for (int j = -1; j <= 1; j++)
                        for (int i = -1; i <= 1; i++)
                            if (x + i is >= 0 and < 28 && y + j is >= 0 and < 28) { s += item[x + i, y + j]; n++; }
                    blurred[x, y] = s / n * gain + 0.2f * Gaussian(rng);
                }
            return new Rendered(blurred.ToBytes(), 1, Size, src.Labels[idx]);
        }
    }

    private sealed record Rotation() : TaskRecipe("structured-rotation", "structured",
        "any item, padded to 40x40 and rotated; the label is the rotation angle's 60-degree bin (as dSprites orientation)",
        ["0-60", "60-120", "120-180", "180-240", "240-300", "300-360"], 40)
    {
        public override Rendered Render(SourceImages src, IReadOnlyList<int> pool, int slot, Random rng)
        {
            int label = rng.Next(6);
            double angle = label * 60 + rng.NextDouble() * 60;
            var img = src.Item(pool[slot]).Pad(Size, Size).Rotate(angle);
            return new Rendered(img.ToBytes(), 1, Size, label);
        }
    }

    private sealed record Location() : TaskRecipe("structured-location", "structured",
        "any item scaled to 16x16 on a 56x56 black canvas; the label is the bin (of 5) of its horizontal centre, vertical position random (as "
            + "dSprites location)",
        ["x 8-16", "x 16-24", "x 24-32", "x 32-40", "x 40-48"], 56)
    {
        public override Rendered Render(SourceImages src, IReadOnlyList<int> pool, int slot, Random rng)
        {
            int label = rng.Next(5);
            int centre = 8 + label * 8 + rng.Next(8); // centre x in [8 + 8 label, 16 + 8 label)
            var canvas = new GreyCanvas(Size, Size);
            canvas.Paste(src.Item(pool[slot]).Resize(16, 16), centre - 8, rng.Next(0, Size - 16 + 1));
            return new Rendered(canvas.ToBytes(), 1, Size, label);
        }
    }

    private sealed record Count() : TaskRecipe("structured-count", "structured",
        "1 to 5 items, each scaled to 14x14, in distinct cells of a 4x4 grid on a 56x56 canvas; the label is the count minus one (as CLEVR count)",
        ["1", "2", "3", "4", "5"], 56)
    {
        public override Rendered Render(SourceImages src, IReadOnlyList<int> pool, int slot, Random rng)
        {
            int label = rng.Next(5);
            var cells = Enumerable.Range(0, 16).ToArray();
            rng.Shuffle(cells);
            var canvas = new GreyCanvas(Size, Size);
            for (int k = 0; k <= label; k++)
            {
                var item = src.Item(pool[rng.Next(pool.Count)]).Resize(14, 14);
                canvas.Paste(item, cells[k] % 4 * 14, cells[k] / 4 * 14);
            }
            return new Rendered(canvas.ToBytes(), 1, Size, label);
        }
    }
}
