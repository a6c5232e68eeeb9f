namespace SlsPrune.Core.Models.Vit;

/// <summary>The MLP's activation: the exact (erf) GELU, or CLIP's QuickGELU <c>x * sigmoid(1.702 x)</c> (OpenAI's
/// CLIP weights; no checkpoint says which it was trained with).</summary>
public enum VitActivation { Gelu, QuickGelu }

/// <summary>What the head reads: the class token (after the final norm), or the mean of the patch tokens through
/// <c>fc_norm</c> (MAE, BEiT-style global average pooling; the final norm is then absent).</summary>
public enum VitPool { Token, Avg }

/// <summary>The shape of a ViT: enough to build it. <see cref="NumClasses"/> 0 means no head. The family variants
/// (DINOv2, DeiT, CLIP, MAE) are the init-only settings: extra prefix tokens (a distillation token, registers),
/// which prefix tokens carry position embeddings, LayerScale, a norm before the blocks, bias-free patch projection
/// and head, the MLP's activation and the pooling.</summary>
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

    /// <summary>The position embedding's grid with the patch size says the size (<c>checkpoint</c>); another one
    /// asked for resamples it (<c>option</c>).</summary>
    public InputSizeOrigin InputOrigin => SourceGridSize == GridSize
        ? new(ImageSize, InputSizeOrigin.Checkpoint, $"its position embedding ({GridSize}x{GridSize} patches of {PatchSize})")
        : new(ImageSize, InputSizeOrigin.Option, $"--image-size (its position embedding, for {SourceGridSize * PatchSize}, resampled)");

    /// <summary>A task's head: a plain Linear with bias and no distillation head.</summary>
    public IBackboneShape WithClasses(int classes) => this with { NumClasses = classes, HeadBias = true, DistilledHead = false };

    /// <summary>Every block's full sizes, as width pruning cuts them.</summary>
    public BlockSizes BlockSizes => new(Width, Heads, MlpHidden);

    /// <summary>Tokens the blocks see: prefix tokens (class, distillation, registers) and the patch grid.</summary>
    public int Tokens => GridSize * GridSize + PrefixTokens;

    /// <summary>The class token, the distillation token (DeiT) and the registers (DINOv2), in that order.</summary>
    public int PrefixTokens => 1 + (DistToken ? 1 : 0) + Registers;

    /// <summary>DeiT's distillation token right after the class token (<c>dist_token</c>).</summary>
    public bool DistToken { get; init; }

    /// <summary>DeiT's second head on the distillation token (<c>head_dist</c>); inference averages the two heads' logits.</summary>
    public bool DistilledHead { get; init; }

    /// <summary>Register tokens after the class (and distillation) token (<c>reg_token</c> [1, R, width]).</summary>
    public int Registers { get; init; }

    /// <summary>How many leading prefix tokens have a position embedding: all of them (classic ViT, DeiT), 0 (timm's
    /// <c>no_embed_class</c>: DINOv2 with registers, DeiT-3) or 1 (the class token only: Hugging Face's DINOv2
    /// with registers). The registers after them are inserted without one.</summary>
    public int PosPrefixTokens { get; init; } = 1;

    /// <summary>The patch grid the checkpoint's position embedding was stored for (0: <see cref="GridSize"/>); a
    /// different one is resampled when the weights are loaded (bicubic with antialiasing, prefix positions kept apart).</summary>
    public int StoredGridSize { get; init; }

    public int SourceGridSize => StoredGridSize > 0 ? StoredGridSize : GridSize;

    /// <summary>LayerScale after attention and MLP (<c>blocks.{i}.ls1.gamma</c>, <c>ls2.gamma</c>).</summary>
    public bool LayerScale { get; init; }

    /// <summary>A LayerNorm after the position embedding, before the blocks (<c>norm_pre</c>: CLIP's <c>ln_pre</c>).</summary>
    public bool NormPre { get; init; }

    /// <summary>Whether the patch projection has a bias (CLIP's has none).</summary>
    public bool PatchBias { get; init; } = true;

    /// <summary>Whether the head has a bias (CLIP's projection used as a head has none).</summary>
    public bool HeadBias { get; init; } = true;

    public VitActivation Activation { get; init; } = VitActivation.Gelu;

    public VitPool Pool { get; init; } = VitPool.Token;

    /// <summary>The final norm (<c>norm</c>); absent in a global-average-pooled model with <c>fc_norm</c>.</summary>
    public bool FinalNorm { get; init; } = true;

    /// <summary>The per-block feature the head reads: the class token, or the mean of the patch tokens.</summary>
    public string FeatureKind => Pool == VitPool.Avg ? "mean-patch" : "cls";

    /// <summary>ImageNet mean and std, as the VTAB-1k PETL code (NOAH, Convpass, SLS) normalises, unless the checkpoint's
    /// layout gives its own (a Hugging Face folder's <c>preprocessor_config.json</c>).</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0.485f, 0.456f, 0.406f];

    public IReadOnlyList<float> Std { get; init; } = [0.229f, 0.224f, 0.225f];

    /// <summary>Epsilon of every LayerNorm of the ViT: timm's 1e-6, unless the checkpoint's layout says otherwise
    /// (a Hugging Face config's <c>layer_norm_eps</c>, CLIP's 1e-5).</summary>
    public double LayerNormEps { get; init; } = DefaultLayerNormEps;

    public const double DefaultLayerNormEps = 1e-6;

    /// <summary>The variant settings in a few words (<c>sls inspect</c>); empty for a classic ViT.</summary>
    public string VariantDetails()
    {
        var parts = new List<string>();
        if (DistToken) parts.Add(DistilledHead ? "distillation token and head (logits averaged)" : "distillation token");
        if (Registers > 0) parts.Add($"{Registers} registers");
        if (PosPrefixTokens != PrefixTokens) parts.Add(PosPrefixTokens == 0 ? "position embedding on patches only"
            : $"position embedding on {PosPrefixTokens} of {PrefixTokens} prefix tokens");
        if (StoredGridSize > 0 && StoredGridSize != GridSize) parts.Add($"position embedding resampled from {StoredGridSize}x{StoredGridSize}");
        if (LayerScale) parts.Add("layerscale");
        if (NormPre) parts.Add("norm_pre");
        if (!PatchBias) parts.Add("patch projection without bias");
        if (Activation == VitActivation.QuickGelu) parts.Add("quick_gelu");
        if (Pool == VitPool.Avg) parts.Add("pooling avg (fc_norm)");
        if (NumClasses > 0 && !HeadBias) parts.Add("head without bias");
        return string.Join(", ", parts);
    }

    /// <summary>Live at once in a block: the scores and their softmax (and its gradient), q, k, v, the output, the residual,
    /// the MLP's hidden layer (float32).</summary>
    public long ActivationBytesPerImage
    {
        get
        {
            double t = Tokens, bytes = 4 * (3.0 * Heads * t * t + t * (8.0 * Width + 2.0 * MlpHidden));
            return bytes >= long.MaxValue ? long.MaxValue : (long)bytes;
        }
    }

    /// <summary>The blocks' matrices and norms, the patch projection, position table and head, and the PETL modules
    /// (a module's multiply-accumulates for one token: each weight used once; prompt tokens).</summary>
    public double Parameters(Petl.PetlSettings petl)
    {
        double w = Width, block = 4 * w * w + 2 * w * MlpHidden + 9 * w + MlpHidden
            + petl.Method.BlockMacs(petl, new Petl.BlockShape(1, Width, Width, MlpHidden, 1)) + (double)petl.Method.ExtraTokens(petl) * w;
        return Depth * block + (double)InChannels * PatchSize * PatchSize * w + (Tokens + 2.0) * w + (NumClasses + 1.0) * (w + 1);
    }

    public void Validate()
    {
        if (PatchSize <= 0 || GridSize <= 0 || Width <= 0 || Depth < 0 || Heads <= 0 || MlpHidden <= 0 || NumClasses < 0 || Registers < 0)
            throw new ArgumentException($"invalid ViT configuration {this}");
        if (PosPrefixTokens < 0 || PosPrefixTokens > PrefixTokens || StoredGridSize < 0)
            throw new ArgumentException($"invalid ViT position embedding {PosPrefixTokens} of {PrefixTokens} prefix tokens");
        if (DistilledHead && !DistToken) throw new ArgumentException("a distillation head needs a distillation token");
        if (!(LayerNormEps > 0 && double.IsFinite(LayerNormEps)))
            throw new ArgumentException($"LayerNorm epsilon {LayerNormEps} is not a positive number");
        if (Width % Heads != 0)
            throw new ArgumentException($"width {Width} is not divisible by {Heads} heads");
    }
}
