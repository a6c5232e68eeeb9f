namespace SlsPrune.Core.Data.Images;

/// <summary>What a model takes: square images of <see cref="ImageSize"/> pixels with <see cref="Channels"/>
/// channels, normalised with <see cref="Mean"/> and <see cref="Std"/>.</summary>
public sealed record InputSpec(int ImageSize, int Channels, IReadOnlyList<float> Mean, IReadOnlyList<float> Std)
{
    /// <summary>ImageNet mean and std, as the VTAB-1k PETL code (NOAH, Convpass, SLS) normalises.</summary>
    public static readonly IReadOnlyList<float> ImageNetMean = [0.485f, 0.456f, 0.406f];

    public static readonly IReadOnlyList<float> ImageNetStd = [0.229f, 0.224f, 0.225f];
}
