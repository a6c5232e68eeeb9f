using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Models.Graph;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Vit;

/// <summary>
/// ViT with timm's state-dict names (<c>patch_embed.proj</c>, <c>cls_token</c>, <c>pos_embed</c>,
/// <c>blocks.{i}</c>, <c>norm</c>, <c>pre_logits.fc</c>, <c>head</c>), token pooling, LayerNorm eps 1e-6 (or the checkpoint layout's, <see
/// cref="VitConfig.LayerNormEps"/>). Its
/// per-block feature is the cls token. A pruned model is simply one built with fewer blocks (or narrower ones).
/// </summary>
public sealed class VisionTransformer : Backbone
{
    private readonly PatchEmbed patch_embed;
    private readonly Parameter cls_token;
    private readonly Parameter? dist_token;
    private readonly Parameter? reg_token;
    private readonly Parameter pos_embed;
    private readonly LayerNorm? norm_pre;
    private readonly ModuleList<Block> blocks;
    private readonly LayerNorm? norm;
    private readonly LayerNorm? fc_norm;
    private readonly nn.Module<Tensor, Tensor> pre_logits;
    private readonly nn.Module<Tensor, Tensor> head;
    private readonly nn.Module<Tensor, Tensor>? head_dist;
    private readonly PetlSettings _petl;

    /// <param name="widths">per block, the kept heads and MLP units of a width-pruned model (null: full width).</param>
    public VisionTransformer(VitConfig config, PetlSettings petl, IReadOnlyList<BlockWidth?>? widths = null) : base(nameof(VisionTransformer))
    {
        config.Validate();
        Config = config;
        _petl = petl;
        if (config.PrefixTokens > 1 && petl.Method.ExtraTokens(petl) > 0)
            throw new SlsInputException("--petl-method", $"{petl.Method.Name} needs a ViT whose only prefix token is the class token; this one has "
                + $"{config.PrefixTokens} (distillation token or registers)");
        patch_embed = new PatchEmbed(config.PatchSize, config.InChannels, config.Width, config.PatchBias);
        cls_token = new Parameter(torch.zeros(1, 1, config.Width));
        if (config.DistToken) dist_token = new Parameter(torch.zeros(1, 1, config.Width));
        if (config.Registers > 0) reg_token = new Parameter(torch.zeros(1, config.Registers, config.Width));
        pos_embed = new Parameter(torch.zeros(1, config.GridSize * config.GridSize + config.PosPrefixTokens, config.Width));
        if (config.NormPre) norm_pre = nn.LayerNorm(config.Width, eps: config.LayerNormEps);
        if (widths is not null && widths.Count != config.Depth) throw new ArgumentException($"{widths.Count} block widths for {config.Depth} blocks",
            nameof(widths));
        Widths = widths ?? new BlockWidth?[config.Depth];
        blocks = new ModuleList<Block>(Enumerable.Range(0, config.Depth).Select(i => new Block(config, petl, i, Widths[i])).ToArray());
        if (config.FinalNorm) norm = nn.LayerNorm(config.Width, eps: config.LayerNormEps);
        if (config.Pool == VitPool.Avg) fc_norm = nn.LayerNorm(config.Width, eps: config.LayerNormEps);
        pre_logits = config.HasPreLogits ? new PreLogits(config.Width) : nn.Identity();
        head = config.NumClasses > 0 ? nn.Linear(config.Width, config.NumClasses, hasBias: config.HeadBias) : nn.Identity();
        if (config.DistilledHead && config.NumClasses > 0) head_dist = nn.Linear(config.Width, config.NumClasses, hasBias: config.HeadBias);
        RegisterComponents();
    }

    public VitConfig Config { get; }

    /// <summary>Each block's kept heads and units (null entries: full width).</summary>
    public IReadOnlyList<BlockWidth?> Widths { get; }

    public override string Family => "vit";

    public override int Depth => Config.Depth;

    public override int FeatureWidth => Config.Width;

    public override int NumClasses => Config.NumClasses;

    public override string FeatureKind => Config.FeatureKind;

    public override PetlSettings Petl => _petl;

    public override InputSpec Input => new(Config.ImageSize, Config.InChannels, Config.Mean, Config.Std);

    public override void ResetAdapters()
    {
        foreach (var b in blocks) b.ResetAdapters();
    }

    /// <summary>Patch embedding, prefix tokens (class, distillation, registers) and position embedding (on the
    /// prefix tokens that have one and the patches), then <c>norm_pre</c> where the family has it (a model cast to
    /// bfloat16/float16 takes float32 images).</summary>
    public override Tensor Embed(Tensor images)
    {
        using var scope = torch.NewDisposeScope(); // see Block
        var c = Config;
        var dtype = cls_token.dtype;
        var x = patch_embed.forward(images.dtype == dtype ? images : images.to(dtype));
        long b = x.shape[0];
        var prefix = new List<Tensor> { cls_token.expand(b, -1, -1) };
        if (dist_token is not null) prefix.Add(dist_token.expand(b, -1, -1));
        if (reg_token is not null) prefix.Add(reg_token.expand(b, -1, -1));
        var tokens = torch.cat(prefix, 1);
        int p = c.PosPrefixTokens;
        x = x.add(pos_embed[.., p..], Scalars.One);
        var head = p == 0 ? null : tokens[.., ..p].add(pos_embed[.., ..p], Scalars.One);
        var parts = new List<Tensor>();
        if (head is not null) parts.Add(head);
        if (p < c.PrefixTokens) parts.Add(tokens[.., p..]);
        parts.Add(x);
        x = torch.cat(parts, 1);
        if (norm_pre is not null) x = norm_pre.forward(x);
        return x.MoveToOuterDisposeScope();
    }

    public override Tensor RunBlock(int i, Tensor x) => blocks[i].forward(x);

    public override BlockSizes? FullBlockSizes(int i) => Config.BlockSizes;

    /// <summary>The class token, or for a globally average-pooled model the mean of the patch tokens (the last
    /// grid x grid tokens, so prompts and registers are left out).</summary>
    public override Tensor BlockFeature(Tensor tokens) => Config.Pool == VitPool.Avg ? PatchMean(tokens) : tokens[.., 0];

    private Tensor PatchMean(Tensor tokens) => tokens[.., ^(Config.GridSize * Config.GridSize)..].mean([1]);

    /// <summary>Final norm and cls pooling (the mean of the distillation and class heads for DeiT distilled), or
    /// mean pooling and <c>fc_norm</c>; pre-logits and head.</summary>
    public override Tensor Head(Tensor tokens)
    {
        using var scope = torch.NewDisposeScope();
        if (Config.Pool == VitPool.Avg)
            return head.forward(pre_logits.forward(fc_norm!.forward(PatchMean(norm is null ? tokens : norm.forward(tokens)))))
                .MoveToOuterDisposeScope();
        var normed = norm is null ? tokens : norm.forward(tokens);
        var logits = head.forward(pre_logits.forward(normed[.., 0]));
        if (head_dist is not null) logits = logits.add(head_dist.forward(normed[.., 1]), Scalars.One).mul(Scalars.Half);
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>Heads and LayerNorm epsilon: shapes show neither.</summary>
    public override IReadOnlyDictionary<string, string> ExportMetadata() => new Dictionary<string, string>
    {
        ["heads"] = Config.Heads.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["layer_norm_eps"] = Config.LayerNormEps.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        ["act"] = Config.Activation == VitActivation.QuickGelu ? "quick_gelu" : "gelu",
    };

    /// <summary>Narrower blocks re-save as such (qkv's rows give the heads kept, <see cref="VitConfigInference.BlockWidths"/>);
    /// heads narrowed to fewer dimensions would read back as fewer whole heads, another model.</summary>
    public override string? StandaloneCheckpointLimit => HeadDimsLimit(Widths, "a ViT");

    public override GraphValue EmitGraph(IGraph g, GraphValue images) => VitGraph.Emit(this, g, images);

    /// <summary>Patch embedding, qkv, the two attention products, proj, fc1, fc2 and the PETL modules (LoRA
    /// unmerged) of each block at its own width, pre-logits and head; PETL tokens (VPT's prompts) count in every block.</summary>
    public override long ActivationBytesPerImage() => Config.ActivationBytesPerImage;

    public override long FlopsOfLeading(int blocks)
    {
        if (blocks < 0 || blocks > Depth) throw new ArgumentOutOfRangeException(nameof(blocks), $"model has {Depth} blocks");
        var c = Config;
        long d = c.Width, g2 = (long)c.GridSize * c.GridSize;
        long n = c.Tokens + _petl.Method.ExtraTokens(_petl);
        long macs = g2 * c.InChannels * c.PatchSize * c.PatchSize * d;           // patch embedding
        for (int i = 0; i < blocks; i++)
        {
            var kept = c.BlockSizes.Keep(Widths[i]);
            long inner = kept.Inner, mlp = kept.MlpUnits;
            macs += n * d * 3 * inner + 2 * n * n * inner + n * inner * d + 2 * n * d * mlp;
            macs += _petl.Method.BlockMacs(_petl, new BlockShape(n, d, inner, mlp, g2));
        }
        if (c.HasPreLogits) macs += d * d;
        macs += d * c.NumClasses * (c.DistilledHead ? 2 : 1);
        return 2 * macs;
    }
}
