using SlsPrune.Core.Data.Images;

namespace SlsPrune.Core.Training.Upstream;

/// <summary>No augmentation: the grey item resized to the input size (Pillow-exact bicubic), the same every epoch.</summary>
internal sealed class PlainUpstream : IUpstreamAugmentation
{
    public string Name => "none";

    public string Description => "the grey item resized to the input size, as is";

    public bool SameEveryEpoch => true;

    public RgbImage Render(ReadOnlySpan<byte> grey, int height, int width, int size, Random rng) => Resized(grey, height, width, size);

    internal static RgbImage Resized(ReadOnlySpan<byte> grey, int height, int width, int size)
    {
        var rgb = new byte[height * width * 3];
        for (int p = 0; p < height * width; p++) rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = grey[p];
        var image = new RgbImage(width, height, rgb);
        return height == size && width == size ? image : PilBicubicResize.Resize(image, size, size);
    }
}
