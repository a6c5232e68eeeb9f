using System.Buffers.Binary;

namespace SlsPrune.Core.Data.Images;

/// <summary>
/// Reads a BMP's header before it is decoded: a header stb_image knows, a size within the decompression-bomb limit (a
/// height of -2^31 included: it has no positive counterpart), and pixel data as long as the header implies. stb_image
/// reads zeros past the end of its input, so a truncated BMP decoded into a partly black image, and 154 bytes claiming
/// 9000x9000 pixels allocated hundreds of megabytes; Pillow refuses both (<c>image file is truncated</c>).
/// </summary>
public static class BmpStructure
{
    private const int FileHeader = 14;

    /// <returns>the pixels the header claims.</returns>
    /// <exception cref="InvalidDataException">naming the first problem.</exception>
    public static long Check(ReadOnlySpan<byte> d)
    {
        if (d.Length < FileHeader + 4) throw new InvalidDataException("BMP header is cut off (truncated)");
        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(d[10..]), size = BinaryPrimitives.ReadUInt32LittleEndian(d[14..]);
        if (size is not (12 or 40 or 56 or 108 or 124)) throw new InvalidDataException($"BMP header of {size} bytes is not a known kind");
        if (d.Length < FileHeader + size) throw new InvalidDataException("BMP header is cut off (truncated)");
        var h = d[FileHeader..];
        long width, height;
        int bpp;
        uint compression = 0;
        if (size == 12)
        {
            (width, height) = (BinaryPrimitives.ReadUInt16LittleEndian(h[4..]), BinaryPrimitives.ReadUInt16LittleEndian(h[6..]));
            bpp = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
        }
        else
        {
            (width, height) = (BinaryPrimitives.ReadInt32LittleEndian(h[4..]), BinaryPrimitives.ReadInt32LittleEndian(h[8..]));
            bpp = BinaryPrimitives.ReadUInt16LittleEndian(h[14..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(h[16..]);
        }
        long rows = Math.Abs(height);   // negative: stored top-down; a long, so -2^31 has its counterpart
        if (width <= 0 || rows == 0) throw new InvalidDataException($"BMP has an invalid size {width}x{height}");
        if (width * rows > JpegStructure.MaxPixels)
            throw new InvalidDataException($"BMP claims {width}x{rows} pixels, more than the {JpegStructure.MaxPixels} limit (a decompression "
                + "bomb?)");
        if (bpp is not (1 or 4 or 8 or 16 or 24 or 32))
            throw new InvalidDataException($"BMP has {bpp} bits per pixel (1, 4, 8, 16, 24 or 32 are read)");
        if (compression is not (0 or 3) || compression == 3 && bpp is not (16 or 32))
            throw new InvalidDataException($"BMP compression {compression} with {bpp} bits per pixel is not supported (uncompressed or bit fields)");
        if (offset < FileHeader + size || offset > d.Length)
            throw new InvalidDataException($"BMP pixel data offset {offset} lies outside the file's {d.Length} bytes after its header");
        // every row padded to four bytes, the last one perhaps not
        long stride = (width * bpp + 31) / 32 * 4, needed = offset + stride * (rows - 1) + (width * bpp + 7) / 8;
        if (needed > d.Length)
            throw new InvalidDataException($"BMP pixel data is shorter than its {width}x{rows} header implies: the file has {d.Length} bytes, "
                + $"{needed} needed (truncated)");
        return width * rows;
    }
}
