using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Models.Graph;
using SlsPrune.Core.Models.Petl;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Swin;

/// <summary>
/// Swin Transformer v1 behind <see cref="Backbone"/>, with internal names <c>patch_embed.proj</c>,
/// <c>patch_embed.norm</c>, <c>blocks.{i}</c> (the kept blocks, numbered 0..k-1 over all stages),
/// <c>merges.{s}</c> (the patch merging after stage s), <c>norm</c> and <c>head</c>. Tokens between blocks are
/// [B, H, W, C]. A model keeps any subset of the full model's blocks: each keeps its stage (width, heads,
/// window) and its shift; a kept block whose stage has not been reached yet is preceded by the patch mergings
/// up to it, and the head applies those still missing (the later stages of a cut model), so the head always
/// sees the last stage's width. The per-block feature is the block's output averaged over tokens, zero-padded
/// to the last stage's width (distances, Gram matrices and linear fits on it are those of the unpadded feature).
/// A width-pruned block keeps some of its heads and MLP units (<see cref="Widths"/>); the tokens between blocks
/// keep the stage's width.
/// </summary>
public sealed class SwinTransformer : Backbone
{
    private readonly SwinPatchEmbed patch_embed;
    private readonly ModuleList<SwinBlock> blocks;
    private readonly ModuleList<PatchMerging> merges;
    private readonly LayerNorm norm;
    private readonly nn.Module<Tensor, Tensor> head;
    private readonly PetlSettings _petl;
    private readonly int[] _stages;

    /// <param name="config">the full model's shape.</param>
    /// <param name="kept">the full model's blocks this model runs (0-based, ascending).</param>
    /// <param name="widths">per kept block, the heads and MLP units it keeps (null entries, or null: full width).</param>
    public SwinTransformer(SwinConfig config, IReadOnlyList<int> kept, PetlSettings petl, IReadOnlyList<BlockWidth?>? widths =
        null) : base(nameof(SwinTransformer))
    {
        config.Validate();
        RefuseAdapterSlots(petl, config.EmbedWidth);
        Config = config;
        Kept = kept.ToArray();
        if (widths is not null && widths.Count != Kept.Count) throw new ArgumentException($"{widths.Count} block widths for {Kept.Count} blocks",
            nameof(widths));
        Widths = widths?.ToArray() ?? new BlockWidth?[Kept.Count];
        _petl = petl;
        _stages = Kept.Select(config.StageOf).ToArray();
        patch_embed = new SwinPatchEmbed(config.PatchSize, config.InChannels, config.EmbedWidth);
        blocks = new ModuleList<SwinBlock>(Kept.Select((b, i) => new SwinBlock(config, b, Widths[i], petl)).ToArray());
        merges = new ModuleList<PatchMerging>(Enumerable.Range(0, config.Stages - 1).Select(s => new PatchMerging(config.StageWidth(s))).ToArray());
        norm = nn.LayerNorm(config.FinalWidth, eps: SwinConfig.Eps);
        head = config.NumClasses > 0 ? nn.Linear(config.FinalWidth, config.NumClasses) : nn.Identity();
        RegisterComponents();
    }

    /// <summary>Swin blocks have no token slot: a method that adds tokens (VPT's prompts, written for ViT's class token
    /// and position embedding) is refused.</summary>
    private static void RefuseAdapterSlots(PetlSettings petl, int width)
    {
        if (petl.Method.Tokens(petl, width, 1, firstBlock: true) is not null || petl.Method.ExtraTokens(petl) != 0)
            throw new SlsInputException("--petl", $"{petl.Method.Name} is not supported on Swin backbones (their blocks take PETL methods on the "
                + $"linear layers and in the adapter slots: linear, lora, convpass, repadapter, adaptformer)");
    }

    public SwinConfig Config { get; }

    /// <summary>The full model's blocks this model runs, in order.</summary>
    public IReadOnlyList<int> Kept { get; }

    /// <summary>Each kept block's heads and MLP units (null entries: full width).</summary>
    public IReadOnlyList<BlockWidth?> Widths { get; }

    public override string Family => "swin";

    public override int Depth => Kept.Count;

    public override int FeatureWidth => Config.FinalWidth;

    public override int NumClasses => Config.NumClasses;

    public override string FeatureKind => "mean-patch";

    public override PetlSettings Petl => _petl;

    public override InputSpec Input => new(Config.ImageSize, Config.InChannels, Config.Mean, Config.Std);

    public override void ResetAdapters()
    {
        foreach (var b in blocks) b.ResetAdapters();
    }

    public override Tensor Embed(Tensor images)
    {
        var dtype = norm.weight!.dtype;
        return patch_embed.forward(images.dtype == dtype ? images : images.to(dtype));
    }

    /// <summary>The stage tokens of width <paramref name="channels"/> are in.</summary>
    private int StageOfWidth(long channels)
    {
        for (int s = 0; s < Config.Stages; s++)
            if (Config.StageWidth(s) == channels) return s;
        throw new ArgumentException($"tokens of {channels} channels are not of any stage of this model");
    }

    /// <summary>The patch mergings that take <paramref name="x"/> to stage <paramref name="stage"/> (x itself when there).</summary>
    private Tensor MergeTo(Tensor x, int stage)
    {
        for (int s = StageOfWidth(x.shape[^1]); s < stage; s++) x = merges[s].forward(x);
        return x;
    }

    /// <summary>The patch merging(s) up to block i's stage, where its stage starts.</summary>
    public override Tensor BlockInput(int i, Tensor x) => MergeTo(x, _stages[i]);

    public override BlockSizes? FullBlockSizes(int i) => Config.BlockSizesOf(Kept[i]);

    public override Tensor RunBlock(int i, Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return blocks[i].forward(MergeTo(x, _stages[i])).MoveToOuterDisposeScope();
    }

    /// <summary>The tokens' mean, zero-padded to the last stage's width: [batch, <see cref="FeatureWidth"/>].</summary>
    public override Tensor BlockFeature(Tensor tokens)
    {
        using var scope = torch.NewDisposeScope();
        var mean = tokens.mean([1, 2]);
        long pad = FeatureWidth - mean.shape[1];
        return (pad > 0 ? nn.functional.pad(mean, [0, pad]) : mean).MoveToOuterDisposeScope();
    }

    /// <summary>The patch mergings still missing, final norm, mean over tokens and head.</summary>
    public override Tensor Head(Tensor tokens)
    {
        using var scope = torch.NewDisposeScope();
        var x = MergeTo(tokens, Config.Stages - 1);
        return head.forward(norm.forward(x).mean([1, 2])).MoveToOuterDisposeScope();
    }

    /// <summary>Renumbered blocks lose their stages and shifts: only a model keeping every block re-saves. Narrower
    /// blocks re-save as such (their shapes give the heads kept: the bias table's columns, and the full head count:
    /// qkv's rows over them); heads narrowed to fewer dimensions would read back as other heads.</summary>
    public override string? StandaloneCheckpointLimit =>
        Kept.Count < Config.Depth ? "a pruned Swin model's blocks, renumbered, would lose their stages and shifts; export it with --format onnx"
        : HeadDimsLimit(Widths, "a Swin model");

    public override GraphValue EmitGraph(IGraph g, GraphValue images) => SwinGraph.Emit(this, g, images);

    /// <summary>Patch embedding; per kept block at its own width qkv, the two attention products and proj over the
    /// window-padded grid, fc1 and fc2 over the grid, and the PETL modules (LoRA over the padded grid, as qkv; the
    /// adapters over the grid); every patch merging (a cut model runs them all); the head.</summary>
    public override long ActivationBytesPerImage() => Config.ActivationBytesPerImage;

    public override long FlopsOfLeading(int blocks)
    {
        if (blocks < 0 || blocks > Depth) throw new ArgumentOutOfRangeException(nameof(blocks), $"model has {Depth} blocks");
        var c = Config;
        long g0 = c.StageGrid(0);
        long macs = g0 * g0 * c.InChannels * c.PatchSize * c.PatchSize * c.EmbedWidth;
        for (int i = 0; i < blocks; i++)
        {
            int s = c.StageOf(Kept[i]);
            var full = c.BlockSizesOf(Kept[i]);
            var kept = full.Keep(Widths[i]);
            long d = full.Width, g = c.StageGrid(s), w = c.Windows[s], mlp = kept.MlpUnits, inner = kept.Inner;
            long padded = (g + w - 1) / w * w, tokens = padded * padded, n = w * w;
            macs += tokens * d * 3 * inner + 2 * tokens * n * inner + tokens * inner * d + 2 * g * g * d * mlp;
            macs += _petl.Method.BlockMacs(_petl, new BlockShape(g * g, d, inner, mlp, g * g, WindowTokens: tokens));
        }
        for (int s = 0; s + 1 < c.Stages; s++)
        {
            long g = c.StageGrid(s + 1), d = c.StageWidth(s);
            macs += g * g * 4 * d * 2 * d;
        }
        macs += (long)c.FinalWidth * c.NumClasses;
        return 2 * macs;
    }
}
