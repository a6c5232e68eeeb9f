using System.Buffers.Binary;
using System.IO.Compression;

namespace SlsPrune.Core.Data.Images;

/// <summary>Writes 8-bit greyscale or RGB PNGs (filter 0, one IDAT), enough for the generated benchmark tasks.</summary>
public static class PngEncoder
{
    /// <param name="channels">1 (greyscale) or 3 (RGB).</param>
    public static byte[] Encode(int width, int height, int channels, ReadOnlySpan<byte> pixels)
    {
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels));
        if (pixels.Length != width * height * channels) throw new ArgumentException("pixel buffer does not match the size");
        using var rows = new MemoryStream();
        using (var z = new ZLibStream(rows, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < height; y++)
            {
                z.WriteByte(0);
                z.Write(pixels.Slice(y * width * channels, width * channels));
            }
        }
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = channels == 1 ? (byte)0 : (byte)2;
        Chunk(png, "IHDR"u8, ihdr);
        Chunk(png, "IDAT"u8, rows.ToArray());
        Chunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    private static void Chunk(Stream s, ReadOnlySpan<byte> type, ReadOnlySpan<byte> body)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, body.Length);
        s.Write(len);
        s.Write(type);
        s.Write(body);
        uint crc = PngCrc.Of(type, body);
        BinaryPrimitives.WriteUInt32BigEndian(len, crc);
        s.Write(len);
    }
}
