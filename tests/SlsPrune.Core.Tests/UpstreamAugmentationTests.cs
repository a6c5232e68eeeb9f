using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Training.Upstream;

namespace SlsPrune.Core.Tests;

public class UpstreamAugmentationTests
{
    private static readonly byte[] White = Enumerable.Repeat((byte)255, 28 * 28).ToArray();
    private static readonly byte[] Black = new byte[28 * 28];

    private static RgbImage Draw(string name, byte[] item, int seed) => UpstreamAugmentations.Get(name).Render(item, 28, 28, 32, new Random(seed));

    private static bool IsPlain(RgbImage image, RgbImage plain) => image.Pixels.AsSpan().SequenceEqual(plain.Pixels);

    [Fact]
    public void None_is_the_bicubic_resize_of_the_grey_item_every_time()
    {
        var item = Enumerable.Range(0, 784).Select(i => (byte)(i * 7 % 256)).ToArray();
        var a = Draw("none", item, 1);
        var b = Draw("none", item, 2);
        Assert.Equal((32, 32), (a.Width, a.Height));
        Assert.Equal(a.Pixels, b.Pixels);
        var rgb = new byte[784 * 3];
        for (int p = 0; p < 784; p++) rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = item[p];
        Assert.Equal(PilBicubicResize.Resize(new RgbImage(28, 28, rgb), 32, 32).Pixels, a.Pixels);
    }

    [Fact]
    public void Natural_is_reproducible_for_a_seed_and_plain_a_fifth_of_the_time()
    {
        Assert.Equal(Draw("natural", White, 7).Pixels, Draw("natural", White, 7).Pixels);
        Assert.NotEqual(Draw("natural", White, 7).Pixels, Draw("natural", White, 8).Pixels);
        var plain = Draw("none", White, 0);
        int plainCount = Enumerable.Range(0, 2000).Count(s => IsPlain(Draw("natural", White, s), plain));
        // binomial(2000, 0.2): mean 400, sd 17.9; +-4 sd
        Assert.InRange(plainCount, 328, 472);
    }

    [Fact]
    public void A_white_item_takes_one_tint_over_a_scaled_square_and_tints_vary()
    {
        var plain = Draw("none", White, 0);
        var itemAreas = new List<int>();
        int coloured = 0;
        for (int s = 0; s < 400; s++)
        {
            var image = Draw("natural", White, s);
            if (IsPlain(image, plain)) continue;
            // the item's pixels are all exactly the tint (a = 1): the most frequent colour, on a square of 12..32 px a side
            var counts = new Dictionary<(byte, byte, byte), int>();
            for (int p = 0; p < 32 * 32; p++)
            {
                var c = (image.Pixels[3 * p], image.Pixels[3 * p + 1], image.Pixels[3 * p + 2]);
                counts[c] = counts.GetValueOrDefault(c) + 1;
            }
            var (tint, area) = counts.MaxBy(kv => kv.Value);
            itemAreas.Add(area);
            if (Math.Max(tint.Item1, Math.Max(tint.Item2, tint.Item3)) - Math.Min(tint.Item1, Math.Min(tint.Item2, tint.Item3)) > 40) coloured++;
        }
        Assert.All(itemAreas, a => Assert.InRange(a, 12 * 12, 32 * 32));
        Assert.Contains(itemAreas, a => a < 16 * 16);
        Assert.Contains(itemAreas, a => a > 28 * 28);
        Assert.True(coloured > itemAreas.Count / 2, $"{coloured} of {itemAreas.Count} tints are coloured");
    }

    [Fact]
    public void A_black_item_leaves_the_background_which_varies_in_colour_and_texture()
    {
        var plain = Draw("none", Black, 0);
        var means = new List<double[]>();
        int flat = 0, textured = 0;
        for (int s = 0; s < 400; s++)
        {
            var image = Draw("natural", Black, s);
            if (IsPlain(image, plain)) continue;
            var mean = new double[3];
            for (int p = 0; p < 32 * 32; p++)
                for (int c = 0; c < 3; c++) mean[c] += image.Pixels[3 * p + c] / (255.0 * 32 * 32);
            means.Add(mean);
            int distinct = Enumerable.Range(0, 32 * 32).Select(p => (image.Pixels[3 * p], image.Pixels[3 * p + 1], image.Pixels[3 * p + 2]))
                .Distinct().Count();
            if (distinct == 1) flat++;
            else if (distinct > 100) textured++;
        }
        for (int c = 0; c < 3; c++)
        {
            double m = means.Average(v => v[c]), sd = Math.Sqrt(means.Average(v => (v[c] - m) * (v[c] - m)));
            Assert.InRange(m, 0.4, 0.6);
            Assert.True(sd > 0.2, $"channel {c}: the backgrounds' mean colour varies by {sd:F3} only");
        }
        // four kinds drawn uniformly: flat about a quarter, gradients/sinusoids/noise mostly many colours
        Assert.InRange(flat, means.Count / 8, means.Count * 3 / 8);
        Assert.True(textured > means.Count / 3, $"{textured} of {means.Count} backgrounds are textured");
    }

    [Fact]
    public void An_unknown_augmentation_is_refused_with_the_known_ones()
    {
        var e = Assert.Throws<SlsInputException>(() => UpstreamAugmentations.Get("jitter"));
        Assert.Equal("--augment: 'jitter' is not one of none, natural", e.Message);
    }
}
