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
        long rawSize = RawSize(width, height, bitsPerPixel, interlace);
        if (rawSize > Math.Max(idat.Length, 1) * 1032) throw new InvalidDataException(Truncated); // deflate expands at most 1032-fold
        idat.Position = 0;
        // the rows are inflated one at a time and written straight into the RGB image: the image is the one buffer of its size
        using var rows = new Rows(new ZLibStream(idat, CompressionMode.Decompress), width, height, bitsPerPixel, channels, depth, colour, palette);
        if (interlace == 0)
        {
            rows.Pass(width, height, 0, 0, 1, 1);
        }
        else
        {
            int[] xs = [0, 4, 0, 2, 0, 1, 0], ys = [0, 0, 4, 0, 2, 0, 1], dx = [8, 8, 4, 4, 2, 2, 1], dy = [8, 8, 8, 4, 4, 2, 2];
            for (int p = 0; p < 7; p++)
            {
                int pw = (width - xs[p] + dx[p] - 1) / dx[p], ph = (height - ys[p] + dy[p] - 1) / dy[p];
                if (pw <= 0 || ph <= 0) continue;
                rows.Pass(pw, ph, xs[p], ys[p], dx[p], dy[p]);
            }
        }
        return new RgbImage(width, height, rows.Rgb);
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

    /// <summary>The image's rows, inflated one at a time (never past the size the header implies: a small file whose stream
    /// inflates to gigabytes stops there; extra data after the image is ignored, as Pillow does), unfiltered, and converted
    /// to RGB in place.</summary>
    private sealed class Rows(Stream z, int width, int height, int bitsPerPixel, int channels, int depth, int colour, byte[]? palette)
        : IDisposable
    {
        private readonly int _bpp = Math.Max(1, bitsPerPixel / 8); // bytes to the left for filtering

        public byte[] Rgb { get; } = new byte[(long)width * height * 3];

        public void Pass(int w, int h, int x0, int y0, int dx, int dy)
        {
            int stride = (int)(((long)w * bitsPerPixel + 7) / 8);
            var prev = new byte[stride];
            var cur = new byte[stride];
            for (int y = 0; y < h; y++)
            {
                int filter = Read(cur);
                for (int i = 0; i < stride; i++)
                {
                    int a = i >= _bpp ? cur[i - _bpp] : 0, b = prev[i], c = i >= _bpp ? prev[i - _bpp] : 0;
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
                for (int x = 0; x < w; x++) Put(cur, x, ((long)(y0 + y * dy) * width + x0 + x * dx) * 3);
                (prev, cur) = (cur, prev);
            }
        }

        /// <summary>The next row into <paramref name="row"/>; its filter type returned.</summary>
        private int Read(byte[] row)
        {
            int filter, got;
            try
            {
                filter = z.ReadByte();
                got = z.ReadAtLeast(row, row.Length, throwOnEndOfStream: false);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"PNG image data is corrupt ({e.Message})");   // zlib's
            }
            return filter >= 0 && got == row.Length ? filter : throw new InvalidDataException(Truncated);
        }

        /// <summary>Pixel <paramref name="x"/> of an unfiltered row, as Pillow's <c>convert('RGB')</c> gives it, at <paramref name="o"/>.</summary>
        private void Put(byte[] row, int x, long o)
        {
            int s = x * channels;
            switch (colour)
            {
                case 0: // greyscale (+ tRNS ignored)
                    Rgb[o] = Rgb[o + 1] = Rgb[o + 2] = Grey(Sample(row, s), depth);
                    break;
                case 4: // grey + alpha: Pillow "LA" (16-bit keeps the high byte)
                    ushort v = Sample(row, s);
                    Rgb[o] = Rgb[o + 1] = Rgb[o + 2] = depth == 16 ? (byte)(v >> 8) : (byte)v;
                    break;
                case 3:
                    int idx = Sample(row, s);
                    if (idx * 3 + 2 < palette!.Length)
                    {
                        Rgb[o] = palette[idx * 3];
                        Rgb[o + 1] = palette[idx * 3 + 1];
                        Rgb[o + 2] = palette[idx * 3 + 2];
                    }
                    break;
                default: // RGB, RGBA
                    for (int c = 0; c < 3; c++)
                    {
                        ushort sc = Sample(row, s + c);
                        Rgb[o + c] = depth == 16 ? (byte)(sc >> 8) : (byte)sc;
                    }
                    break;
            }
        }

        /// <summary>Sample <paramref name="i"/> of a row, at its native depth.</summary>
        private ushort Sample(byte[] row, int i) => depth switch
        {
            16 => (ushort)((row[i * 2] << 8) | row[i * 2 + 1]),
            8 => row[i],
            _ => (ushort)((row[i * depth / 8] >> (8 - depth - (i * depth % 8))) & ((1 << depth) - 1)),
        };

        public void Dispose() => z.Dispose();
    }

    private static byte Grey(ushort v, int depth) => depth switch
    {
        1 => v != 0 ? (byte)255 : (byte)0,
        2 => (byte)(v * 85),
        4 => (byte)(v * 17),
        8 => (byte)v,
        _ => v > 255 ? (byte)255 : (byte)v, // Pillow: I;16 -> "I" -> RGB saturates
    };

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
