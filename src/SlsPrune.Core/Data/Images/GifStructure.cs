using System.Buffers.Binary;

namespace SlsPrune.Core.Data.Images;

/// <summary>
/// Walks a GIF's blocks up to its first frame (the one decoded) before stb_image sees the file: every block must fit in
/// the file, the frame's compressed data must end in the file and be long enough to hold its pixels. stb_image fills a frame whose data
/// runs out with the background, so a truncated GIF decoded silently; Pillow refuses it.
/// </summary>
public static class GifStructure
{
    /// <exception cref="InvalidDataException">naming the first problem.</exception>
    public static void Check(ReadOnlySpan<byte> d)
    {
        if (d.Length < 13) throw new InvalidDataException("GIF header is cut off (truncated)");
        int pos = 13 + ColourTable(d[10]);
        while (true)
        {
            if (pos >= d.Length) throw new InvalidDataException("GIF ends before its first frame (truncated)");
            byte kind = d[pos];
            if (kind == 0x21)   // an extension: its label, then sub-blocks
            {
                pos = SkipSubBlocks(d, pos + 2, out _);
                continue;
            }
            if (kind != 0x2C) throw new InvalidDataException($"GIF has no frame (block 0x{kind:X2} at byte {pos})");
            if (pos + 11 > d.Length) throw new InvalidDataException("GIF frame header is cut off (truncated)");
            long width = BinaryPrimitives.ReadUInt16LittleEndian(d[(pos + 5)..]), height = BinaryPrimitives.ReadUInt16LittleEndian(d[(pos + 7)..]);
            pos += 10 + ColourTable(d[pos + 9]);
            if (pos >= d.Length) throw new InvalidDataException("GIF frame is cut off (truncated)");
            int codeSize = Math.Max(1, (int)d[pos]);
            if (SkipSubBlocks(d, pos + 1, out long bytes) > d.Length)
                throw new InvalidDataException($"GIF frame data runs past the end of the file ({bytes} bytes of it there; truncated)");
            // LZW: a code's string is at most one longer than the longest before it, so n codes give at most n(n+1)/2 pixels
            long codes = Math.Min(bytes * 8 / (codeSize + 1), 1L << 24), most = codes * (codes + 1) / 2;
            if (width * height > most)
                throw new InvalidDataException($"GIF frame of {width}x{height} pixels has {bytes} bytes of data, too few to hold it (truncated)");
            return;
        }
    }

    /// <summary>The bytes of the colour table a packed field announces.</summary>
    private static int ColourTable(byte packed) => (packed & 0x80) == 0 ? 0 : 3 << ((packed & 7) + 1);

    /// <summary>The position after the sub-blocks that start at <paramref name="pos"/> (past the end where the file stops among
    /// them), and the data bytes they hold within the file.</summary>
    private static int SkipSubBlocks(ReadOnlySpan<byte> d, int pos, out long bytes)
    {
        bytes = 0;
        while (pos < d.Length && d[pos] != 0)
        {
            int n = d[pos];
            bytes += Math.Min(n, d.Length - pos - 1);
            pos += 1 + n;
        }
        return pos + 1;
    }
}
