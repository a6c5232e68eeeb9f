namespace SlsPrune.Core.Models.Swin;

/// <summary>
/// The shape of a Swin Transformer (v1): patch embedding of <see cref="EmbedWidth"/> channels, then stages of
/// <see cref="Depths"/> blocks whose width doubles at every stage (a patch merging between stages), each stage
/// with its own heads and attention window. Blocks are numbered globally 0..<see cref="Depth"/>-1 over the
/// stages; a stage's odd blocks (counted within the stage) shift their windows by half a window.
/// <see cref="NumClasses"/> 0 means no head.
/// </summary>
public sealed record SwinConfig(
    int PatchSize,
    int ImageSize,
    int EmbedWidth,
    IReadOnlyList<int> Depths,
    IReadOnlyList<int> Heads,
    IReadOnlyList<int> Windows,
    int MlpRatio,
    int NumClasses,
    int InChannels = 3) : IBackboneShape
{
    /// <summary>LayerNorm's epsilon everywhere (torchvision's and timm's Swin).</summary>
    public const double Eps = 1e-5;

    public int Depth => Depths.Sum();

    /// <summary>Where <see cref="ImageSize"/> came from, as <see cref="SwinFamily.Infer"/> decided it (the tensors never
    /// show it); a configuration made otherwise (pre-training) was given its size.</summary>
    public InputSizeOrigin? Origin { get; init; }

    public InputSizeOrigin InputOrigin => Origin is { } o && o.ImageSize == ImageSize ? o : new(ImageSize, InputSizeOrigin.Option);

    public int Stages => Depths.Count;

    public IBackboneShape WithClasses(int classes) => this with { NumClasses = classes };

    /// <summary>Channels of stage <paramref name="s"/>.</summary>
    public int StageWidth(int s) => EmbedWidth << s;

    /// <summary>Channels of the last stage: the final norm's and the head's input.</summary>
    public int FinalWidth => StageWidth(Stages - 1);

    /// <summary>Token grid (per side) of stage <paramref name="s"/>: the patch grid, halved (rounded up, as the
    /// patch merging pads an odd grid) at every stage.</summary>
    public int StageGrid(int s)
    {
        int g = ImageSize / PatchSize;
        for (int i = 0; i < s; i++) g = (g + 1) / 2;
        return g;
    }

    /// <summary>The stage of global block <paramref name="block"/>.</summary>
    public int StageOf(int block)
    {
        for (int s = 0, start = 0; s < Stages; start += Depths[s], s++)
            if (block < start + Depths[s]) return s;
        throw new ArgumentOutOfRangeException(nameof(block), $"the model has {Depth} blocks");
    }

    /// <summary>The place of global block <paramref name="block"/> within its stage.</summary>
    public int IndexInStage(int block) => block - Depths.Take(StageOf(block)).Sum();

    /// <summary>Block <paramref name="block"/>'s full sizes as width pruning cuts them: its stage's width, heads and MLP
    /// units, and each head's column of its relative position bias table ((2w-1)^2 entries).</summary>
    public BlockSizes BlockSizesOf(int block)
    {
        int s = StageOf(block), width = StageWidth(s), side = 2 * Windows[s] - 1;
        return new BlockSizes(width, Heads[s], width * MlpRatio, side * side);
    }

    /// <summary>Whether block <paramref name="block"/> is a shifted-window block (odd within its stage).</summary>
    public bool Shifted(int block) => IndexInStage(block) % 2 == 1;

    /// <summary>ImageNet mean and std, as torchvision's and timm's Swin weights expect.</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0.485f, 0.456f, 0.406f];

    public IReadOnlyList<float> Std { get; init; } = [0.229f, 0.224f, 0.225f];

    /// <summary>The largest stage's block: attention within windows (every token against its window's w^2 tokens, per
    /// head), q, k, v, the output, the residual, the MLP's hidden layer (float32).</summary>
    public long ActivationBytesPerImage
    {
        get
        {
            double most = 0;
            for (int st = 0; st < Stages; st++)
            {
                double t = (double)StageGrid(st) * StageGrid(st), w = Windows[st], width = StageWidth(st);
                most = Math.Max(most, 4 * (3 * Heads[st] * t * w * w + t * (8 * width + 2 * width * MlpRatio)));
            }
            return most >= long.MaxValue ? long.MaxValue : (long)most;
        }
    }

    /// <summary>Every stage's blocks (matrices, norms, relative position tables, PETL modules for one token), the patch
    /// mergings, the patch projection and the head.</summary>
    public double Parameters(Petl.PetlSettings petl)
    {
        double total = (double)InChannels * PatchSize * PatchSize * EmbedWidth + (NumClasses + 1.0) * (FinalWidth + 1.0);
        for (int s = 0; s < Stages; s++)
        {
            double w = (double)EmbedWidth * Math.Pow(2, s), mlp = w * MlpRatio, side = 2.0 * Windows[s] - 1;
            double block = 4 * w * w + 2 * w * mlp + 9 * w + mlp + Heads[s] * side * side
                + petl.Method.BlockMacs(petl, new Petl.BlockShape(1, (long)Math.Min(w, int.MaxValue), (long)Math.Min(w, int.MaxValue),
                    (long)Math.Min(mlp, int.MaxValue), 1));
            total += Depths[s] * block + (s + 1 < Stages ? 8 * w * w + 4 * w : 0);
        }
        return total;
    }

    public void Validate()
    {
        if (PatchSize <= 0 || ImageSize < PatchSize || EmbedWidth <= 0 || MlpRatio <= 0 || NumClasses < 0 || InChannels <= 0
            || Depths.Count == 0 || Heads.Count != Depths.Count || Windows.Count != Depths.Count
            || Depths.Any(d => d <= 0) || Heads.Any(h => h <= 0) || Windows.Any(w => w <= 0))
            throw new ArgumentException($"invalid Swin configuration: patch {PatchSize}, image {ImageSize}, width {EmbedWidth}, depths ["
                + $"{string.Join(", ", Depths)}], heads [{string.Join(", ", Heads)}], windows [{string.Join(", ", Windows)}]");
        for (int s = 0; s < Stages; s++)
            if (StageWidth(s) % Heads[s] != 0)
                throw new ArgumentException($"stage {s + 1}'s width {StageWidth(s)} is not divisible by {Heads[s]} heads");
    }
}
