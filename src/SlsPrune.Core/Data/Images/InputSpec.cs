namespace SlsPrune.Core.Data.Images;

/// <summary>What a model takes: square images of <see cref="ImageSize"/> pixels with <see cref="Channels"/>
/// channels, normalised with <see cref="Mean"/> and <see cref="Std"/>.</summary>
public sealed record InputSpec(int ImageSize, int Channels, IReadOnlyList<float> Mean, IReadOnlyList<float> Std)
{
    /// <summary>ImageNet mean and std, as the VTAB-1k PETL code (NOAH, Convpass, SLS) normalises.</summary>
    public static readonly IReadOnlyList<float> ImageNetMean = [0.485f, 0.456f, 0.406f];

    public static readonly IReadOnlyList<float> ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>The largest input side: every buffer sized by an input size (images, position tables, masks) is
    /// bounded by it before it is made.</summary>
    public const int MaxImageSize = 4096;

    /// <summary>The most input channels (RGB has 3; multispectral data a dozen).</summary>
    public const int MaxChannels = 64;

    /// <summary>The most patches a ViT's input may cut into (a 128x128 grid): its position table and attention
    /// grow with them.</summary>
    public const int MaxPatches = 128 * 128;

    /// <exception cref="SlsInputException">naming <paramref name="subject"/> for a size outside 1..<see cref="MaxImageSize"/>.</exception>
    public static int CheckImageSize(long size, string subject) => size is >= 1 and <= MaxImageSize ? (int)size
        : throw new SlsInputException(subject, $"input size {size} is not within 1..{MaxImageSize} pixels");

    /// <exception cref="SlsInputException">naming <paramref name="subject"/> for a count outside 1..<see cref="MaxChannels"/>.</exception>
    public static int CheckChannels(long channels, string subject) => channels is >= 1 and <= MaxChannels ? (int)channels
        : throw new SlsInputException(subject, $"{channels} input channels is not within 1..{MaxChannels}");
}
