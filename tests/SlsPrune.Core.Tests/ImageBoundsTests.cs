using SlsPrune.Core.Data.Images;

namespace SlsPrune.Core.Tests;

/// <summary>
/// BMP and GIF headers checked before stb_image allocates or reads past the end (a hostile audit: a truncated BMP decoded
/// at exit 0, 154 bytes claiming 9000x9000 took 713 MB, a height of -2^31 ended in a .NET overflow), and the memory a
/// huge image takes: the PNG decoder holds the RGB image and two rows, and <see cref="DecodeBudget"/> lets huge images
/// decode one at a time.
/// </summary>
public class ImageBoundsTests
{
    private static string Refusal(byte[] data, string name)
    {
        var e = Assert.Throws<SlsInputException>(() => ImageDecoder.Decode(data, name));
        return e.Message;
    }

    private static byte[] Bmp(int w, int h) => DataImageFormatTests.Bmp24(w, h, new byte[w * h * 3]);

    [Fact]
    public void A_bmp_shorter_than_its_header_implies_is_refused_before_decoding()
    {
        var whole = Bmp(40, 40);
        Assert.Equal(4854, whole.Length);
        Assert.Equal((40, 40), (ImageDecoder.Decode(whole, "a.bmp").Width, ImageDecoder.Decode(whole, "a.bmp").Height));
        Assert.Equal("trunc.bmp: corrupt image: BMP pixel data is shorter than its 40x40 header implies: the file has 2000 bytes, 4854 needed "
            + "(truncated)", Refusal(whole[..2000], "trunc.bmp"));
        // a missing pad after the last row is not missing pixels
        Assert.Equal(3, ImageDecoder.Decode(Bmp(3, 2)[..^3], "nopad.bmp").Width);

        var huge = new byte[154];   // the audit's: a header and 100 bytes
        Bmp(1, 1).CopyTo(huge, 0);
        BitConverter.GetBytes(9000).CopyTo(huge, 18);
        BitConverter.GetBytes(9000).CopyTo(huge, 22);
        Assert.Equal("bmp_9000.bmp: corrupt image: BMP pixel data is shorter than its 9000x9000 header implies: the file has 154 bytes, "
            + "243000054 needed (truncated)", Refusal(huge, "bmp_9000.bmp"));
        BitConverter.GetBytes(int.MinValue).CopyTo(huge, 22);
        BitConverter.GetBytes(40).CopyTo(huge, 18);
        Assert.Equal("minint.bmp: corrupt image: BMP claims 40x2147483648 pixels, more than the 89478485 limit (a decompression bomb?)",
            Refusal(huge, "minint.bmp"));
        BitConverter.GetBytes(-2).CopyTo(huge, 22);   // top-down rows, whole
        BitConverter.GetBytes(1).CopyTo(huge, 18);
        Assert.Equal(2, ImageDecoder.Decode(huge, "topdown.bmp").Height);
        BitConverter.GetBytes(1).CopyTo(huge, 30);    // RLE8: stb_image does not read it
        Assert.Equal("rle.bmp: corrupt image: BMP compression 1 with 24 bits per pixel is not supported (uncompressed or bit fields)",
            Refusal(huge, "rle.bmp"));
    }

    [Fact]
    public void A_gif_whose_frame_data_is_cut_or_too_short_for_its_pixels_is_refused()
    {
        byte[][] palette = [[10, 20, 30], [200, 100, 50], [0, 0, 0], [255, 255, 255]];
        var gif = DataImageFormatTests.Gif(3, 2, palette, [0, 1, 2, 3, 1, 0]);
        Assert.Equal(3, ImageDecoder.Decode(gif, "a.gif").Width);
        // header 13 + palette 12 + descriptor 10 + code size 1 + one sub-block of 5 bytes and its length, then the terminator
        Assert.Equal("cut.gif: corrupt image: GIF frame data runs past the end of the file (3 bytes of it there; truncated)",
            Refusal(gif[..40], "cut.gif"));
        var big = gif.ToArray();
        foreach (int at in new[] { 6, 8, 30, 32 }) BitConverter.GetBytes((ushort)9000).CopyTo(big, at);   // screen and frame 9000x9000
        Assert.Equal("big.gif: corrupt image: GIF frame of 9000x9000 pixels has 5 bytes of data, too few to hold it (truncated)",
            Refusal(big, "big.gif"));
    }

    [Fact]
    public void A_png_decodes_into_its_rgb_image_and_two_rows()
    {
        const int side = 1500;
        var png = PngEncoder.Encode(side, side, 3, new byte[side * side * 3]);
        ImageDecoder.Decode(png, "warm.png");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var image = ImageDecoder.Decode(png, "big.png");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(side * side * 3, image.Pixels.Length);
        // the RGB image (6.75 MB) and little else; the whole inflated data and a 16-bit sample per channel took 4.5 times more
        Assert.InRange(allocated, side * side * 3, side * side * 3 + (1 << 20));
        Assert.Equal(side * side, ImageDecoder.ClaimedPixels(png));
    }

    [Fact]
    public void Huge_images_decode_one_at_a_time_and_small_ones_side_by_side()
    {
        int inFlight = 0, most = 0;
        void Decode(long pixels)
        {
            using (DecodeBudget.Acquire(pixels))
            {
                int now = Interlocked.Increment(ref inFlight);
                InterlockedMax(ref most, now);
                Thread.Sleep(50);
                Interlocked.Decrement(ref inFlight);
            }
        }
        void OnThreads(int n, long pixels)
        {
            var threads = Enumerable.Range(0, n).Select(_ => new Thread(() => Decode(pixels))).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
        }
        // images each more than half the budget (which scales with the machine's memory: the audit's 13000x13000 PNG, 169
        // million pixels, is more than half of it on 24 GiB) decode one at a time
        OnThreads(6, DecodeBudget.MaxPixels / 2 + 1);
        Assert.Equal(1, most);
        most = 0;
        OnThreads(4, DecodeBudget.MaxPixels / 8);
        Assert.True(most > 1, $"at most {most} of four images within the budget decoded at once");
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }
}
