namespace SlsPrune.Core.Data.Images;

/// <summary>An 8-bit RGB image, row-major, 3 bytes per pixel (what Pillow's <c>convert('RGB')</c> gives).</summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, byte[] pixels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"invalid image size {width}x{height}");
        if (pixels.Length != width * height * 3) throw new ArgumentException("pixel buffer does not match the size");
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>R, G, B bytes, row by row.</summary>
    public byte[] Pixels { get; }
}
