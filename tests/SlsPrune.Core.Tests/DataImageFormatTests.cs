using SlsPrune.Core.Data.Images;

namespace SlsPrune.Core.Tests;

/// <summary>BMP and GIF beside PNG and JPEG, chosen by signature; EXIF orientation for JPEG when asked.</summary>
public class DataImageFormatTests
{
    /// <summary>3x2 pixels: A B C over D E F, each a distinct colour.</summary>
    private static readonly byte[][] Colours = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [0, 255, 255], [255, 0, 255]];

    private static byte[] Rgb(params int[] order) => order.SelectMany(i => Colours[i]).ToArray();

    internal static byte[] Bmp24(int w, int h, byte[] rgb)
    {
        int stride = (w * 3 + 3) & ~3;
        var b = new byte[54 + stride * h];
        b[0] = (byte)'B'; b[1] = (byte)'M';
        BitConverter.GetBytes(b.Length).CopyTo(b, 2);
        BitConverter.GetBytes(54).CopyTo(b, 10);
        BitConverter.GetBytes(40).CopyTo(b, 14);
        BitConverter.GetBytes(w).CopyTo(b, 18);
        BitConverter.GetBytes(h).CopyTo(b, 22);
        BitConverter.GetBytes((short)1).CopyTo(b, 26);
        BitConverter.GetBytes((short)24).CopyTo(b, 28);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int s = (y * w + x) * 3, d = 54 + (h - 1 - y) * stride + x * 3; // bottom-up, BGR
                b[d] = rgb[s + 2]; b[d + 1] = rgb[s + 1]; b[d + 2] = rgb[s];
            }
        return b;
    }

    /// <summary>A GIF of palette indices (4 colours), one frame per index array; LZW with a clear code before every
    /// pixel, so the code width stays 3 bits.</summary>
    internal static byte[] Gif(int w, int h, byte[][] palette, params byte[][] frames)
    {
        var o = new List<byte>();
        o.AddRange("GIF89a"u8.ToArray());
        o.AddRange([(byte)w, (byte)(w >> 8), (byte)h, (byte)(h >> 8), 0x81, 0, 0]);
        for (int i = 0; i < 4; i++) o.AddRange(palette[i]);
        foreach (var frame in frames)
        {
            o.AddRange([0x2C, 0, 0, 0, 0, (byte)w, (byte)(w >> 8), (byte)h, (byte)(h >> 8), 0, 2]);
            var bits = new List<bool>();
            void Code(int c) { for (int k = 0; k < 3; k++) bits.Add(((c >> k) & 1) == 1); }
            foreach (var p in frame) { Code(4); Code(p); }
            Code(5);
            var data = new byte[(bits.Count + 7) / 8];
            for (int i = 0; i < bits.Count; i++) if (bits[i]) data[i / 8] |= (byte)(1 << (i % 8));
            for (int i = 0; i < data.Length; i += 255)
            {
                int n = Math.Min(255, data.Length - i);
                o.Add((byte)n);
                o.AddRange(data.Skip(i).Take(n));
            }
            o.Add(0);
        }
        o.Add(0x3B);
        return o.ToArray();
    }

    [Fact]
    public void Bmp_decodes_to_its_pixels()
    {
        var rgb = Rgb(0, 1, 2, 3, 4, 5);
        var img = ImageDecoder.Decode(Bmp24(3, 2, rgb), "x.bmp");
        Assert.Equal((3, 2), (img.Width, img.Height));
        Assert.Equal(rgb, img.Pixels);
        Assert.Equal("bmp", ImageDecoder.Sniff(Bmp24(3, 2, rgb)));
    }

    [Fact]
    public void Gif_decodes_its_first_frame()
    {
        byte[][] palette = [[10, 20, 30], [200, 100, 50], [0, 0, 0], [255, 255, 255]];
        var gif = Gif(3, 2, palette, [0, 1, 2, 3, 1, 0], [3, 3, 3, 3, 3, 3]);
        Assert.Equal("gif", ImageDecoder.Sniff(gif));
        var img = ImageDecoder.Decode(gif, "x.gif");
        Assert.Equal((3, 2), (img.Width, img.Height));
        Assert.Equal(new[] { 0, 1, 2, 3, 1, 0 }.SelectMany(i => palette[i]).ToArray(), img.Pixels);
    }

    [Fact]
    public void Neither_format_is_refused_by_name()
    {
        var e = Assert.Throws<SlsInputException>(() => ImageDecoder.Decode("hello"u8.ToArray(), "notes.jpg"));
        Assert.Equal("notes.jpg: not a PNG, JPEG, BMP or GIF image", e.Message);
        var bad = Assert.Throws<SlsInputException>(() => ImageDecoder.Decode([(byte)'B', (byte)'M', .. new byte[20]], "cut.bmp"));
        Assert.StartsWith("cut.bmp: corrupt image", bad.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 3, 2, new[] { 0, 1, 2, 3, 4, 5 })]
    [InlineData(2, 3, 2, new[] { 2, 1, 0, 5, 4, 3 })] // mirror
    [InlineData(3, 3, 2, new[] { 5, 4, 3, 2, 1, 0 })] // rotate 180
    [InlineData(4, 3, 2, new[] { 3, 4, 5, 0, 1, 2 })] // flip
    [InlineData(5, 2, 3, new[] { 0, 3, 1, 4, 2, 5 })] // transpose
    [InlineData(6, 2, 3, new[] { 3, 0, 4, 1, 5, 2 })] // 90 clockwise
    [InlineData(7, 2, 3, new[] { 5, 2, 4, 1, 3, 0 })] // transverse
    [InlineData(8, 2, 3, new[] { 2, 5, 1, 4, 0, 3 })] // 90 counter-clockwise
    public void Exif_orientation_turns_the_image_as_pillow(int orientation, int w, int h, int[] expected)
    {
        var img = ExifOrientation.Apply(new RgbImage(3, 2, Rgb(0, 1, 2, 3, 4, 5)), orientation);
        Assert.Equal((w, h), (img.Width, img.Height));
        Assert.Equal(Rgb(expected), img.Pixels);
    }

    /// <summary>A JPEG fixture with an APP1 Exif segment (IFD0 orientation) inserted after SOI.</summary>
    internal static byte[] WithOrientation(byte[] jpeg, int orientation, bool bigEndian)
    {
        var tiff = bigEndian
            ? new byte[] { (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte)orientation, 0, 0, 0, 0, 0, 0 }
            : new byte[] { (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, (byte)orientation, 0, 0, 0, 0, 0, 0, 0 };
        var body = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        int len = body.Length + 2;
        return [0xFF, 0xD8, 0xFF, 0xE1, (byte)(len >> 8), (byte)len, .. body, .. jpeg[2..]];
    }

    [Theory]
    [InlineData(6, false)]
    [InlineData(8, true)]
    public void Exif_orientation_of_a_jpeg_applies_only_when_asked(int orientation, bool bigEndian)
    {
        var jpeg = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", "images", "grey.jpg"));
        var tagged = WithOrientation(jpeg, orientation, bigEndian);
        Assert.Equal(orientation, ExifOrientation.Read(tagged));
        Assert.Equal(1, ExifOrientation.Read(jpeg));
        var plain = ImageDecoder.Decode(jpeg, "a.jpg");
        Assert.Equal(plain.Pixels, ImageDecoder.Decode(tagged, "a.jpg").Pixels); // off by default
        var turned = ImageDecoder.Decode(tagged, "a.jpg", exifTranspose: true);
        Assert.Equal(ExifOrientation.Apply(plain, orientation).Pixels, turned.Pixels);
        Assert.Equal((plain.Height, plain.Width), (turned.Width, turned.Height));
    }
}
