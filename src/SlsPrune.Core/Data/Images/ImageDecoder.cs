using StbImageSharp;

namespace SlsPrune.Core.Data.Images;

/// <summary>JPEG or PNG bytes to RGB, chosen by content. PNG uses <see cref="PngDecoder"/> (Pillow's mode
/// conversions exactly); JPEG uses stb_image (islow IDCT and fancy chroma upsampling, as libjpeg's defaults).</summary>
public static class ImageDecoder
{
    /// <param name="source">the file, named in errors.</param>
    /// <exception cref="SlsInputException">for anything that is not a readable JPEG or PNG.</exception>
    public static RgbImage Decode(byte[] data, string source)
    {
        try
        {
            if (PngDecoder.IsPng(data)) return PngDecoder.Decode(data);
            if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return DecodeJpeg(data);
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or IndexOutOfRangeException or ArgumentException or Exception { Source: "StbImageSharp" })
        {
            throw new SlsInputException(source, $"corrupt image: {e.Message}");
        }
        throw new SlsInputException(source, "not a JPEG or PNG image");
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
}
