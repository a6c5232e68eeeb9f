namespace SlsPrune.Core.Data.Images;

/// <summary>A JPEG's EXIF orientation (tag 0x0112 of IFD0 in the APP1 <c>Exif</c> segment) and the transpose
/// Pillow's <c>ImageOps.exif_transpose</c> applies for it: 2 mirror, 3 rotate 180, 4 flip, 5 transpose,
/// 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise; 1, absent or unreadable: as stored.</summary>
public static class ExifOrientation
{
    /// <summary>The orientation 1..8 the file states, or 1.</summary>
    public static int Read(ReadOnlySpan<byte> jpeg)
    {
        int pos = 2;
        while (pos + 4 <= jpeg.Length && jpeg[pos] == 0xFF)
        {
            byte m = jpeg[pos + 1];
            if (m == 0xD9 || m == 0xDA) break; // no EXIF after the first scan
            if (m == 0xFF) { pos++; continue; }
            if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { pos += 2; continue; }
            int length = (jpeg[pos + 2] << 8) | jpeg[pos + 3];
            if (length < 2 || pos + 2 + length > jpeg.Length) break;
            var body = jpeg.Slice(pos + 4, length - 2);
            if (m == 0xE1 && body.Length >= 14 && body[..6].SequenceEqual("Exif\0\0"u8))
                return FromTiff(body[6..].ToArray());
            pos += 2 + length;
        }
        return 1;
    }

    private static int FromTiff(byte[] t)
    {
        bool little;
        if (t[0] == 'I' && t[1] == 'I') little = true;
        else if (t[0] == 'M' && t[1] == 'M') little = false;
        else return 1;
        int U16(int at) => at + 2 > t.Length ? -1 : little ? t[at] | (t[at + 1] << 8) : (t[at] << 8) | t[at + 1];
        long U32(int at) => at + 4 > t.Length ? -1 : little
            ? (long)(uint)(t[at] | (t[at + 1] << 8) | (t[at + 2] << 16) | (t[at + 3] << 24))
            : (long)(uint)((t[at] << 24) | (t[at + 1] << 16) | (t[at + 2] << 8) | t[at + 3]);
        long ifd = U32(4);
        if (ifd < 8 || ifd + 2 > t.Length) return 1;
        int entries = U16((int)ifd);
        for (int i = 0; i < entries; i++)
        {
            int e = (int)ifd + 2 + 12 * i;
            if (e + 12 > t.Length) break;
            if (U16(e) != 0x0112) continue;
            int type = U16(e + 2);
            int value = type == 3 ? U16(e + 8) : type == 4 ? (int)Math.Min(U32(e + 8), 9) : -1;
            return value is >= 1 and <= 8 ? value : 1;
        }
        return 1;
    }

    /// <summary>The image turned as Pillow turns it for <paramref name="orientation"/>.</summary>
    public static RgbImage Apply(RgbImage image, int orientation)
    {
        if (orientation is < 2 or > 8) return image;
        int w = image.Width, h = image.Height;
        bool swap = orientation >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        var src = image.Pixels;
        var dst = new byte[src.Length];
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
            {
                (int sx, int sy) = orientation switch
                {
                    2 => (w - 1 - x, y),          // FLIP_LEFT_RIGHT
                    3 => (w - 1 - x, h - 1 - y),  // ROTATE_180
                    4 => (x, h - 1 - y),          // FLIP_TOP_BOTTOM
                    5 => (y, x),                  // TRANSPOSE
                    6 => (y, h - 1 - x),          // ROTATE_270 (90 clockwise)
                    7 => (w - 1 - y, h - 1 - x),  // TRANSVERSE
                    _ => (w - 1 - y, x),          // 8: ROTATE_90 (90 counter-clockwise)
                };
                int s = (sy * w + sx) * 3, d = (y * ow + x) * 3;
                dst[d] = src[s];
                dst[d + 1] = src[s + 1];
                dst[d + 2] = src[s + 2];
            }
        return new RgbImage(ow, oh, dst);
    }
}
