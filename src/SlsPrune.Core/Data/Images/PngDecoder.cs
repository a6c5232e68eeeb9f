using System.Buffers.Binary;
using System.IO.Compression;

namespace SlsPrune.Core.Data.Images;

/// <summary>
/// PNG to RGB, following what Pillow's <c>Image.open(p).convert('RGB')</c> produces: every colour type and
/// bit depth, Adam7 interlacing, palettes. Alpha and tRNS are dropped (no compositing). 16-bit colour keeps
/// the high byte; 16-bit greyscale is opened by Pillow as 32-bit "I" and saturates at 255 when converted, and
/// so it does here. 1/2/4-bit greyscale scales to 0..255.
/// </summary>
public static class PngDecoder
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Pillow's decompression-bomb error threshold: twice the 89,478,485 pixels it warns at.</summary>
    public const long MaxPixels = 2 * 89_478_485;

    private const string Truncated = "PNG image data is shorter than the image (truncated)";

    public static bool IsPng(ReadOnlySpan<byte> data) => data.Length >= 8 && data[..8].SequenceEqual(Signature);

    /// <exception cref="InvalidDataException">for a corrupt or unsupported file.</exception>
    public static RgbImage Decode(ReadOnlySpan<byte> data)
    {
        if (!IsPng(data)) throw new InvalidDataException("not a PNG file");
        int pos = 8, width = 0, height = 0, depth = 0, colour = 0, interlace = 0;
        byte[]? palette = null;
        using var idat = new MemoryStream();
        bool sawHeader = false, sawEnd = false;
        while (pos + 8 <= data.Length && !sawEnd)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(data[pos..]);
            if (len < 0 || pos + 12 + (long)len > data.Length) throw new InvalidDataException("PNG chunk runs past the end of the file (truncated)");
            var type = data.Slice(pos + 4, 4);
            var body = data.Slice(pos + 8, len);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 8 + len)..]), computed = PngCrc.Of(type, body);
            if (stored != computed)
                throw new InvalidDataException($"PNG chunk '{Printable.Escape(System.Text.Encoding.Latin1.GetString(type))}' at byte {pos} has a "
                    + $"bad CRC (stored {stored:x8}, computed {computed:x8})");
            if (type.SequenceEqual("IHDR"u8))
            {
                if (len != 13) throw new InvalidDataException("PNG IHDR has the wrong length");
                width = BinaryPrimitives.ReadInt32BigEndian(body);
                height = BinaryPrimitives.ReadInt32BigEndian(body[4..]);
                depth = body[8];
                colour = body[9];
                interlace = body[12];
                if (body[10] != 0 || body[11] != 0 || interlace > 1) throw new InvalidDataException("PNG uses an unknown compression, filter or "
                    + "interlace method");
                sawHeader = true;
            }
            else if (type.SequenceEqual("PLTE"u8))
            {
                palette = body.ToArray();
            }
            else if (type.SequenceEqual("IDAT"u8))
            {
                idat.Write(body);
            }
            else if (type.SequenceEqual("IEND"u8))
            {
                sawEnd = true;
            }
            pos += 12 + len;
        }
        if (!sawHeader) throw new InvalidDataException("PNG has no IHDR chunk");
        if (idat.Length == 0) throw new InvalidDataException("PNG has no image data (truncated)");
        if (width <= 0 || height <= 0) throw new InvalidDataException($"PNG has an invalid size {width}x{height}");
        if ((long)width * height > MaxPixels)
            throw new InvalidDataException($"PNG claims {width}x{height} pixels, more than the {MaxPixels} limit (a decompression bomb?)");
        int channels = colour switch
        {
            0 => 1,
            2 => 3,
            3 => 1,
            4 => 2,
            6 => 4,
            _ => throw new InvalidDataException($"PNG colour type {colour} is invalid")
        };
        bool depthOk = colour switch { 0 => depth is 1 or 2 or 4 or 8 or 16, 3 => depth is 1 or 2 or 4 or 8, _ => depth is 8 or 16 };
        if (!depthOk) throw new InvalidDataException($"PNG bit depth {depth} is invalid for colour type {colour}");
        if (colour == 3 && (palette is null || palette.Length % 3 != 0)) throw new InvalidDataException("PNG palette image has no valid PLTE chunk");

        int bitsPerPixel = channels * depth;
        idat.Position = 0;
        byte[] raw = Inflate(idat, RawSize(width, height, bitsPerPixel, interlace));

        int bpp = Math.Max(1, bitsPerPixel / 8); // bytes to the left for filtering
        var samples = new ushort[(long)width * height * channels]; // decoded samples at native depth
        int rawPos = 0;
        if (interlace == 0)
        {
            rawPos = Unfilter(raw, rawPos, width, height, bitsPerPixel, bpp, channels, depth, samples, width, 0, 0, 1, 1);
        }
        else
        {
            int[] xs = [0, 4, 0, 2, 0, 1, 0], ys = [0, 0, 4, 0, 2, 0, 1], dx = [8, 8, 4, 4, 2, 2, 1], dy = [8, 8, 8, 4, 4, 2, 2];
            for (int p = 0; p < 7; p++)
            {
                int pw = (width - xs[p] + dx[p] - 1) / dx[p], ph = (height - ys[p] + dy[p] - 1) / dy[p];
                if (pw <= 0 || ph <= 0) continue;
                rawPos = Unfilter(raw, rawPos, pw, ph, bitsPerPixel, bpp, channels, depth, samples, width, xs[p], ys[p], dx[p], dy[p]);
            }
        }

        var rgb = new byte[width * height * 3];
        for (int i = 0, n = width * height; i < n; i++)
        {
            int s = i * channels, o = i * 3;
            switch (colour)
            {
                case 0: // greyscale (+ tRNS ignored)
                    byte g = Grey(samples[s], depth);
                    rgb[o] = rgb[o + 1] = rgb[o + 2] = g;
                    break;
                case 4: // grey + alpha: Pillow "LA" (16-bit keeps the high byte)
                    byte ga = depth == 16 ? (byte)(samples[s] >> 8) : (byte)samples[s];
                    rgb[o] = rgb[o + 1] = rgb[o + 2] = ga;
                    break;
                case 3:
                    int idx = samples[s];
                    if (idx * 3 + 2 < palette!.Length)
                    {
                        rgb[o] = palette[idx * 3];
                        rgb[o + 1] = palette[idx * 3 + 1];
                        rgb[o + 2] = palette[idx * 3 + 2];
                    }
                    break;
                default: // RGB, RGBA
                    for (int c = 0; c < 3; c++) rgb[o + c] = depth == 16 ? (byte)(samples[s + c] >> 8) : (byte)samples[s + c];
                    break;
            }
        }
        return new RgbImage(width, height, rgb);
    }

    /// <summary>The filtered data's size: one filter byte and the packed samples per row of every pass.</summary>
    private static long RawSize(int width, int height, int bitsPerPixel, int interlace)
    {
        long Rows(long w, long h) => w <= 0 || h <= 0 ? 0 : h * (1 + (w * bitsPerPixel + 7) / 8);
        if (interlace == 0) return Rows(width, height);
        int[] xs = [0, 4, 0, 2, 0, 1, 0], ys = [0, 0, 4, 0, 2, 0, 1], dx = [8, 8, 4, 4, 2, 2, 1], dy = [8, 8, 8, 4, 4, 2, 2];
        long total = 0;
        for (int p = 0; p < 7; p++) total += Rows((width - xs[p] + dx[p] - 1) / dx[p], (height - ys[p] + dy[p] - 1) / dy[p]);
        return total;
    }

    /// <summary>Inflates the image data, never past the size the header implies: a small file whose stream
    /// inflates to gigabytes stops there. Extra data after the image is ignored, as Pillow does.</summary>
    private static byte[] Inflate(Stream idat, long size)
    {
        if (size > Array.MaxLength) throw new InvalidDataException($"PNG image data would take {size} bytes, more than an image can");
        if (size > Math.Max(idat.Length, 1) * 1032) throw new InvalidDataException(Truncated); // deflate expands at most 1032-fold
        try
        {
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            var raw = new byte[size];
            int got = z.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
            return got == raw.Length ? raw : throw new InvalidDataException(Truncated);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"PNG image data is corrupt ({e.Message})");
        }
    }

    private static byte Grey(ushort v, int depth) => depth switch
    {
        1 => v != 0 ? (byte)255 : (byte)0,
        2 => (byte)(v * 85),
        4 => (byte)(v * 17),
        8 => (byte)v,
        _ => v > 255 ? (byte)255 : (byte)v, // Pillow: I;16 -> "I" -> RGB saturates
    };

    private static int Unfilter(byte[] raw, int pos, int w, int h, int bitsPerPixel, int bpp, int channels, int depth,
        ushort[] samples, int fullWidth, int x0, int y0, int dx, int dy)
    {
        int stride = (int)(((long)w * bitsPerPixel + 7) / 8);
        var prev = new byte[stride];
        var cur = new byte[stride];
        for (int y = 0; y < h; y++)
        {
            if ((long)pos + 1 + stride > raw.Length) throw new InvalidDataException(Truncated);
            byte filter = raw[pos];
            Array.Copy(raw, pos + 1, cur, 0, stride);
            pos += 1 + stride;
            for (int i = 0; i < stride; i++)
            {
                int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                cur[i] = filter switch
                {
                    0 => cur[i],
                    1 => (byte)(cur[i] + a),
                    2 => (byte)(cur[i] + b),
                    3 => (byte)(cur[i] + ((a + b) >> 1)),
                    4 => (byte)(cur[i] + Paeth(a, b, c)),
                    _ => throw new InvalidDataException($"PNG row uses unknown filter {filter}"),
                };
            }
            for (int x = 0; x < w; x++)
            {
                long dst = ((long)(y0 + y * dy) * fullWidth + x0 + x * dx) * channels;
                for (int c = 0; c < channels; c++)
                {
                    int sampleIndex = x * channels + c;
                    samples[dst + c] = depth switch
                    {
                        16 => (ushort)((cur[sampleIndex * 2] << 8) | cur[sampleIndex * 2 + 1]),
                        8 => cur[sampleIndex],
                        _ => (ushort)((cur[sampleIndex * depth / 8] >> (8 - depth - (sampleIndex * depth % 8))) & ((1 << depth) - 1)),
                    };
                }
            }
            (prev, cur) = (cur, prev);
        }
        return pos;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
