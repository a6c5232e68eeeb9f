namespace SlsPrune.Core.Checkpoints;

/// <summary>
/// What a checkpoint's layout says about the model beyond its tensor shapes (a Hugging Face folder's
/// <c>config.json</c> and <c>preprocessor_config.json</c>): the head count, the LayerNorm epsilon, the input
/// normalisation and the class labels. Null: the layout does not say, and the family's defaults (the variants
/// table, timm's 1e-6, ImageNet's mean and std) apply. Command-line options still override the head count.
/// </summary>
public sealed record ArchitectureHints(
    int? Heads = null,
    double? LayerNormEps = null,
    IReadOnlyList<float>? Mean = null,
    IReadOnlyList<float>? Std = null,
    IReadOnlyList<string>? Labels = null)
{
    public static readonly ArchitectureHints None = new();
}
