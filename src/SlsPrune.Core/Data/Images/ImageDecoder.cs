using System.Buffers.Binary;
using StbImageSharp;

namespace SlsPrune.Core.Data.Images;

/// <summary>PNG, JPEG, BMP or GIF bytes to RGB, chosen by content (the signature, never the file name). PNG uses
/// <see cref="PngDecoder"/> (Pillow's mode conversions exactly); JPEG uses stb_image (islow IDCT and fancy chroma
/// upsampling, as libjpeg's defaults); BMP and GIF (its first frame) use stb_image too.</summary>
public static class ImageDecoder
{
    /// <summary>The formats read, as <see cref="Sniff"/> names them.</summary>
    public const string Formats = "PNG, JPEG, BMP or GIF";

    /// <summary>The format a file's first bytes say (<c>png</c>, <c>jpeg</c>, <c>bmp</c>, <c>gif</c>), or null.</summary>
    public static string? Sniff(ReadOnlySpan<byte> d)
    {
        if (PngDecoder.IsPng(d)) return "png";
        if (d.Length >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return "jpeg";
        if (d.Length >= 6 && d[0] == 'G' && d[1] == 'I' && d[2] == 'F' && d[3] == '8' && (d[4] == '7' || d[4] == '9') && d[5] == 'a') return "gif";
        if (d.Length >= 14 && d[0] == 'B' && d[1] == 'M') return "bmp";
        return null;
    }

    /// <summary>The pixels a file's header claims (a GIF's whole screen), read without decoding, for <see cref="DecodeBudget"/>; 0 where
    /// the header cannot be read (<see cref="Decode"/> refuses the file), the most a PNG may have where its IHDR chunk is not first.</summary>
    public static long ClaimedPixels(ReadOnlySpan<byte> d)
    {
        try
        {
            return Sniff(d) switch
            {
                "png" when d.Length >= 24 && d[12..16].SequenceEqual("IHDR"u8) => (long)BinaryPrimitives.ReadUInt32BigEndian(d[16..])
                    * BinaryPrimitives.ReadUInt32BigEndian(d[20..]),
                "png" => PngDecoder.MaxPixels,   // its header further on: counted as the largest a PNG may be
                "jpeg" => JpegStructure.Check(d),
                "bmp" => BmpStructure.Check(d),
                "gif" when d.Length >= 10 => (long)BinaryPrimitives.ReadUInt16LittleEndian(d[6..]) * BinaryPrimitives.ReadUInt16LittleEndian(d[8..]),
                _ => 0,
            };
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            return 0;   // a header too short or malformed to count: the decoder refuses the file, naming it
        }
    }

    /// <param name="source">the file, named in errors.</param>
    /// <param name="exifTranspose">turn a JPEG upright by its EXIF orientation (Pillow's <c>ImageOps.exif_transpose</c>).</param>
    /// <exception cref="SlsInputException">for anything that is not a readable image of those formats.</exception>
    public static RgbImage Decode(byte[] data, string source, bool exifTranspose = false)
    {
        string? format = Sniff(data);
        try
        {
            switch (format)
            {
                case "png": return PngDecoder.Decode(data);
                case "jpeg":
                    var image = DecodeJpeg(data);
                    return exifTranspose ? ExifOrientation.Apply(image, ExifOrientation.Read(data)) : image;
                case "bmp":
                case "gif":
                    return DecodeStb(data, format);
            }
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or IndexOutOfRangeException or ArgumentException
            or OverflowException or NullReferenceException or Exception { Source: "StbImageSharp" })
        {
            throw new SlsInputException(source, $"corrupt image: {e.Message}");
        }
        throw new SlsInputException(source, $"not a {Formats} image");
    }

    private static RgbImage DecodeJpeg(byte[] data)
    {
        // stb_image fills a truncated scan silently (Pillow refuses it) and spins on a segment length past the
        // end: the structure is checked first.
        JpegStructure.Check(data);
        var r = ImageResult.FromMemory(data, ColorComponents.RedGreenBlue);
        if (r.Data is null || r.Width <= 0 || r.Height <= 0) throw new InvalidDataException("JPEG decoder returned no pixels");
        return new RgbImage(r.Width, r.Height, r.Data);
    }

    /// <summary>BMP and GIF: the header and the data's length are checked (<see cref="BmpStructure"/>, <see cref="GifStructure"/>)
    /// and the size against the decompression-bomb limit before pixels are allocated; a GIF gives its first frame.</summary>
    private static RgbImage DecodeStb(byte[] data, string format)
    {
        // stb_image reads zeros past the end of its input: the structure is checked first, as a JPEG's is
        if (format == "bmp") BmpStructure.Check(data);
        else GifStructure.Check(data);
        var info = ImageInfo.FromStream(new MemoryStream(data, writable: false)) ?? throw new InvalidDataException($"{format.ToUpperInvariant()} "
            + $"header is not readable");
        if ((long)info.Width * info.Height > JpegStructure.MaxPixels)
            throw new InvalidDataException($"{format.ToUpperInvariant()} claims {info.Width}x{info.Height} pixels, more than the "
                + $"{JpegStructure.MaxPixels} limit (a decompression bomb?)");
        var r = ImageResult.FromMemory(data, ColorComponents.RedGreenBlue);
        if (r.Data is null || r.Width <= 0 || r.Height <= 0) throw new InvalidDataException($"{format.ToUpperInvariant()} decoder returned no "
            + $"pixels");
        return new RgbImage(r.Width, r.Height, r.Data[..(r.Width * r.Height * 3)]);
    }
}
