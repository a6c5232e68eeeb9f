namespace SlsPrune.Core.Data.Images;

/// <summary>
/// Walks a JPEG's marker segments before it is decoded: every segment's length must fit in the file, the
/// scans must be followed by an end-of-image marker, and neither the frame nor the scan count may make a decompression bomb. stb_image
/// reads zeros past the end of its input, so a segment length that points past the end makes it search for
/// the next marker forever; Pillow refuses such files (and truncated scans) outright.
/// </summary>
public static class JpegStructure
{
    /// <summary>Pillow's limit before it calls an image a decompression bomb.</summary>
    public const long MaxPixels = 89_478_485;

    /// <summary>The most scans decoded: a progressive JPEG has about ten, and each scan costs a pass over the
    /// image (libjpeg-turbo recommends the same limit for untrusted input).</summary>
    public const int MaxScans = 500;

    /// <returns>the pixels of the frame.</returns>
    /// <exception cref="InvalidDataException">naming the first problem.</exception>
    public static long Check(ReadOnlySpan<byte> d)
    {
        int pos = 2; // after SOI
        bool frame = false;
        long pixels = 0;
        int scans = 0;
        while (true)
        {
            if (pos + 1 >= d.Length) throw new InvalidDataException("JPEG has no end-of-image marker (truncated)");
            if (d[pos] != 0xFF) throw new InvalidDataException($"JPEG has no marker at byte {pos} where one should start");
            while (pos + 1 < d.Length && d[pos + 1] == 0xFF) pos++; // fill bytes
            if (pos + 1 >= d.Length) throw new InvalidDataException("JPEG has no end-of-image marker (truncated)");
            byte m = d[pos + 1];
            if (m == 0xD9) break;                                            // EOI
            if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { pos += 2; continue; } // TEM, RSTn: no length
            if (pos + 3 >= d.Length) throw new InvalidDataException($"JPEG segment 0x{m:X2} at byte {pos} is cut off (truncated)");
            int length = (d[pos + 2] << 8) | d[pos + 3];
            if (length < 2 || pos + 2 + length > d.Length)
                throw new InvalidDataException($"JPEG segment 0x{m:X2} at byte {pos} claims {length} bytes, past the end of the file");
            if (m is >= 0xC0 and <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) // SOFn
            {
                if (length < 8) throw new InvalidDataException($"JPEG frame header at byte {pos} is too short");
                long height = (d[pos + 5] << 8) | d[pos + 6], width = (d[pos + 7] << 8) | d[pos + 8];
                if (width * height > MaxPixels)
                    throw new InvalidDataException($"JPEG claims {width}x{height} pixels, more than the {MaxPixels} limit (a decompression bomb?)");
                frame = true;
                pixels = width * height;
            }
            pos += 2 + length;
            if (m == 0xDA) // SOS: entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or an RSTn
            {
                if (!frame) throw new InvalidDataException("JPEG scan comes before any frame header");
                if (++scans > MaxScans) throw new InvalidDataException($"JPEG has more than {MaxScans} scans (a decompression bomb?)");
                while (pos + 1 < d.Length && !(d[pos] == 0xFF && d[pos + 1] != 0x00 && !(d[pos + 1] >= 0xD0 && d[pos + 1] <= 0xD7))) pos++;
            }
        }
        return frame ? pixels : throw new InvalidDataException("JPEG has no frame header");
    }
}
