namespace SlsPrune.Core.Models;

/// <summary>A backbone's shape as <c>sls inspect</c> reports it (<see cref="Kind"/>: the family). <see cref="Heads"/> is null when neither the
/// variants table
/// nor <c>--heads</c> (nor the checkpoint's config) gives it; <see cref="Mean"/> and <see cref="Std"/> are the input normalisation.
/// A hierarchical family (Swin) reports its first stage's grid, tokens, heads and MLP, its last stage's width and, in
/// <see cref="Stages"/>, every stage's depth, heads, window and width. <see cref="Details"/>: the family variant's
/// settings (a ViT's registers, LayerScale, pooling, and which feature SLS scores).</summary>
public sealed record ArchitectureReport(
    string Kind,
    string? Variant,
    int PatchSize,
    int ImageSize,
    int GridSize,
    int Tokens,
    int Width,
    int Depth,
    int? Heads,
    int MlpHidden,
    int NumClasses,
    bool PreLogits,
    double LayerNormEps,
    IReadOnlyList<float> Mean,
    IReadOnlyList<float> Std,
    string? Stages = null,
    string? Details = null)
{
    /// <summary>Where <see cref="Mean"/> and <see cref="Std"/> come from, in words.</summary>
    public string PreprocessingSource { get; init; } = "ImageNet's mean and std (the family's default, as the VTAB-1k PETL code)";

    /// <summary>Where <see cref="ImageSize"/> comes from (<c>checkpoint</c>, <c>option</c>, <c>assumed</c>) and why.</summary>
    public InputSizeOrigin? Input { get; init; }
}
