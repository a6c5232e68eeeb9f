namespace SlsPrune.Core.Models.Vit;

/// <summary>The shape of a ViT: enough to build it. <see cref="NumClasses"/> 0 means no head.</summary>
public sealed record VitConfig(
    int PatchSize,
    int GridSize,
    int Width,
    int Depth,
    int Heads,
    int MlpHidden,
    int NumClasses,
    bool HasPreLogits = false,
    int InChannels = 3) : IBackboneShape
{
    public int ImageSize => PatchSize * GridSize;

    public IBackboneShape WithClasses(int classes) => this with { NumClasses = classes };

    public int Tokens => GridSize * GridSize + 1;

    /// <summary>ImageNet mean and std, as the VTAB-1k PETL code (NOAH, Convpass, SLS) normalises, unless the checkpoint's
    /// layout gives its own (a Hugging Face folder's <c>preprocessor_config.json</c>).</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0.485f, 0.456f, 0.406f];

    public IReadOnlyList<float> Std { get; init; } = [0.229f, 0.224f, 0.225f];

    /// <summary>Epsilon of every LayerNorm of the ViT: timm's 1e-6, unless the checkpoint's layout says otherwise
    /// (a Hugging Face config's <c>layer_norm_eps</c>).</summary>
    public double LayerNormEps { get; init; } = DefaultLayerNormEps;

    public const double DefaultLayerNormEps = 1e-6;

    public void Validate()
    {
        if (PatchSize <= 0 || GridSize <= 0 || Width <= 0 || Depth < 0 || Heads <= 0 || MlpHidden <= 0 || NumClasses < 0)
            throw new ArgumentException($"invalid ViT configuration {this}");
        if (!(LayerNormEps > 0 && double.IsFinite(LayerNormEps)))
            throw new ArgumentException($"LayerNorm epsilon {LayerNormEps} is not a positive number");
        if (Width % Heads != 0)
            throw new ArgumentException($"width {Width} is not divisible by {Heads} heads");
    }
}
