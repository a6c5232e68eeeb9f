using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data.Images;
using TorchSharp;

namespace SlsPrune.Core.Tests;

/// <summary>Decoding and resizing against Pillow (scripts/make_image_fixtures.py).</summary>
public class ImagePipelineTests
{
    private static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "fixtures", "images");

    private static readonly Lazy<Dictionary<string, torch.Tensor>> Expected = new(() =>
    {
        using var f = SafetensorsFile.Open(Path.Combine(Dir, "expected.safetensors"));
        return CheckpointFile.ReadAll(f);
    });

    public static TheoryData<string> Pngs() => new(Directory.GetFiles(Dir, "*.png").Select(Path.GetFileName).Order()!);

    public static TheoryData<string> Jpegs() => new(Directory.GetFiles(Dir, "*.jpg").Select(Path.GetFileName).Order()!);

    private static RgbImage Load(string name) => ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(Dir, name)), name);

    private static byte[] Bytes(torch.Tensor t) => t.data<byte>().ToArray();

    private static double MeanAbs(byte[] a, byte[] b)
    {
        Assert.Equal(b.Length, a.Length);
        long s = 0;
        for (int i = 0; i < a.Length; i++) s += Math.Abs(a[i] - b[i]);
        return (double)s / a.Length;
    }

    private static IEnumerable<(string Key, int H, int W)> Resizes(string name) =>
        Expected.Value.Keys.Where(k => k.StartsWith(name + ".resize_", StringComparison.Ordinal)).Select(k =>
        {
            var hw = k[(name.Length + ".resize_".Length)..].Split('x');
            return (k, int.Parse(hw[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(hw[1],
                System.Globalization.CultureInfo.InvariantCulture));
        });

    [Theory]
    [MemberData(nameof(Pngs))]
    public void Png_decodes_and_resizes_exactly_as_pillow(string name)
    {
        var img = Load(name);
        Assert.Equal(Bytes(Expected.Value[name + ".rgb"]), img.Pixels);
        int checkedSizes = 0;
        foreach (var (key, h, w) in Resizes(name))
        {
            var r = PilBicubicResize.Resize(img, w, h);
            Assert.Equal((w, h), (r.Width, r.Height));
            Assert.True(Bytes(Expected.Value[key]).AsSpan().SequenceEqual(r.Pixels), $"{key} differs from Pillow");
            checkedSizes++;
        }
        Assert.True(checkedSizes >= 4);
    }

    [Theory]
    [MemberData(nameof(Jpegs))]
    public void Jpeg_decode_and_resize_are_within_one_level_of_pillow(string name)
    {
        var img = Load(name);
        Assert.InRange(MeanAbs(img.Pixels, Bytes(Expected.Value[name + ".rgb"])), 0, 1.0);
        foreach (var (key, h, w) in Resizes(name))
            Assert.InRange(MeanAbs(PilBicubicResize.Resize(img, w, h).Pixels, Bytes(Expected.Value[key])), 0, 1.0);
    }

    [Fact]
    public void Sixteen_bit_grey_saturates_like_pillow()
    {
        var img = Load("grey16.png");
        Assert.Contains(img.Pixels, p => p == 255);
        Assert.True(img.Pixels.Count(p => p == 255) > img.Pixels.Length / 2, "values above 255 must clip, not scale");
    }

    [Fact]
    public void Same_size_passes_through_unchanged()
    {
        var img = Load("rgb.png");
        Assert.Same(img, PilBicubicResize.Resize(img, img.Width, img.Height));
    }

    [Theory]
    [InlineData("rgb.png", 20)]
    [InlineData("rgb.png", 200)]
    [InlineData("rgb.jpg", 200)]
    [InlineData("interlaced.png", 300)]
    public void Truncated_images_are_input_errors_naming_the_file(string name, int keep)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Dir, name))[..keep];
        var e = Assert.Throws<SlsInputException>(() => ImageDecoder.Decode(bytes, "task/images/x.img"));
        Assert.Equal("task/images/x.img", e.Subject);
    }

    [Fact]
    public void Non_images_are_refused()
    {
        var e = Assert.Throws<SlsInputException>(() => ImageDecoder.Decode("TIFF......"u8.ToArray(), "a.tif"));
        Assert.Equal("a.tif: not a PNG, JPEG, BMP or GIF image", e.Message);
        var cut = Assert.Throws<SlsInputException>(() => ImageDecoder.Decode("GIF89a......"u8.ToArray(), "a.gif"));
        Assert.StartsWith("a.gif: corrupt image", cut.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encoder_round_trips_through_the_decoder()
    {
        var img = Load("rgb.png");
        var again = PngDecoder.Decode(PngEncoder.Encode(img.Width, img.Height, 3, img.Pixels));
        Assert.Equal(img.Pixels, again.Pixels);
        var grey = new byte[] { 0, 10, 200, 255, 7, 99 };
        var g = PngDecoder.Decode(PngEncoder.Encode(3, 2, 1, grey));
        Assert.Equal(grey, g.Pixels.Where((_, i) => i % 3 == 0).ToArray());
    }
}
