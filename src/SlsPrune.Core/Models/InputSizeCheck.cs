using SlsPrune.Core.Data;
using SlsPrune.Core.IO;
using StbImageSharp;

namespace SlsPrune.Core.Models;

/// <summary>
/// An input size that had to be assumed (<see cref="InputSizeOrigin.Assumed"/>: a torchvision or timm Swin state
/// dict does not record it) is said on stderr, once, and refused where it makes the run implausible: the data's
/// images (the first few of the split, sized from their headers) all more than <see cref="MaxScale"/>x smaller or
/// larger than it, or an index computed at another size. An index computed at another size than a recorded one is refused
/// too, unless <c>--image-size</c> asks for the size run. A Swin trained at 32 px run at an assumed 224 gives a
/// meaningless top-1 at exit 0; an explicit <c>--image-size</c> is never refused for this.
/// </summary>
public static class InputSizeCheck
{
    /// <summary>Images whose headers are read.</summary>
    public const int Sampled = 8;

    /// <summary>The most up- or down-scaling from an assumed size that is taken as plausible.</summary>
    public const int MaxScale = 2;

    /// <param name="backbone">the checkpoint, named in the warning and the refusal.</param>
    /// <param name="items">the split the run reads.</param>
    /// <param name="index">the input an index was computed at (its <c>input</c>).</param>
    /// <param name="indexPath">that index, named when it was computed at another size.</param>
    /// <param name="warn">receives the one warning line (without <c>sls: warning: </c>).</param>
    /// <exception cref="SlsInputException">naming <paramref name="backbone"/> (or the index) when the assumed size is implausible.</exception>
    public static void Check(BuiltModel built, string backbone, IReadOnlyList<LabelledImage> items, Action<string>? warn, InputSizeOrigin? index =
        null, string? indexPath = null)
    {
        // an index scored the layers at its size: at another one (not asked for with --image-size) the decision is for another model
        if (index is { } atIndex && built.InputOrigin is { IsAssumed: false } run && run.From != InputSizeOrigin.Option
            && atIndex.ImageSize != run.ImageSize)
            throw new SlsInputException(indexPath ?? backbone, $"was computed at {atIndex.ImageSize} px ({atIndex.From}), but this run is at "
                + $"{run.ImageSize} px ({run.From}) (give --image-size {atIndex.ImageSize}, or --image-size {run.ImageSize} to run at "
                + $"{run.ImageSize} anyway)");
        if (built.InputOrigin is not { IsAssumed: true } origin) return;
        int s = origin.ImageSize;
        string assumed = $"{origin.Unrecorded ?? "the input size is not recorded in the checkpoint"}; {s} px was assumed"
            + $"{(origin.Basis is null ? "" : $" ({origin.Basis})")}";
        if (index is { } recorded && recorded.ImageSize != s)
            throw new SlsInputException(indexPath ?? backbone, $"was computed at {recorded.ImageSize} px ({recorded.From}), but {assumed} (give "
                + $"--image-size {recorded.ImageSize}, or --image-size {s} to run at {s} anyway)");
        if (Implausible(items, s) is var (images, suggest))
            throw new SlsInputException(backbone, $"{assumed} but the data's images are {images} (give --image-size {suggest}, or --image-size {s} "
                + $"to run at {s} anyway)");
        warn?.Invoke(origin.Warning(backbone)!);
    }

    /// <summary>An exported model (ONNX) whose size was assumed when it was exported (its metadata's
    /// <c>image_size_from</c>): refused when the data's images make that size implausible, as the checkpoint would be.</summary>
    /// <exception cref="SlsInputException">naming <paramref name="file"/>.</exception>
    public static void CheckExported(int imageSize, string? from, string file, IReadOnlyList<LabelledImage> items)
    {
        if (from != InputSizeOrigin.Assumed) return;
        if (Implausible(items, imageSize) is var (images, suggest))
            throw new SlsInputException(file, $"was exported at {imageSize} px, a size that was assumed (its checkpoint does not record one), but "
                + $"the data's images are {images} (export it again with --image-size {suggest})");
    }

    /// <summary>When every sampled image is more than <see cref="MaxScale"/> times smaller or larger than
    /// <paramref name="size"/>: the images in words and the size to suggest; null otherwise.</summary>
    private static (string Images, string Suggest)? Implausible(IReadOnlyList<LabelledImage> items, int size)
    {
        var sizes = items.Select(i => i.Path).Distinct(StringComparer.Ordinal).Take(Sampled).Select(HeaderSize).OfType<(int W, int H)>().ToList();
        bool Far((int W, int H) d) => (long)Math.Max(d.W, d.H) * MaxScale < size || Math.Min(d.W, d.H) > (long)size * MaxScale;
        if (sizes.Count == 0 || !sizes.All(Far)) return null;
        var (w, h) = sizes[0];
        string images = sizes.All(d => d == sizes[0]) ? $"{w}x{h}" : $"{w}x{h} (the first of {sizes.Count} read, none within {MaxScale}x of {size})";
        return (images, w == h ? $"{w}" : "SIZE (the size it was trained at)");
    }

    /// <summary>An image's width and height from its header (PNG, JPEG, BMP, GIF); null where it cannot be read
    /// (reading the image later says why).</summary>
    public static (int W, int H)? HeaderSize(string path)
    {
        try
        {
            using var stream = InputFile.OpenRead(path, "an image file", InputFile.MaxImageBytes);
            return ImageInfo.FromStream(stream) is { Width: > 0, Height: > 0 } info ? (info.Width, info.Height) : null;
        }
#pragma warning disable CA1031 // a header this cannot read is the decoder's to refuse, with its own message
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }
}
