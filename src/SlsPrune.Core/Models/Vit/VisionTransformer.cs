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
/// <c>blocks.{i}</c>, <c>norm</c>, <c>pre_logits.fc</c>, <c>head</c>), token pooling, LayerNorm eps 1e-6 (or the checkpoint layout's, <see cref="VitConfig.LayerNormEps"/>). Its
/// per-block feature is the cls token. A pruned model is simply one built with fewer blocks (or narrower ones).
/// </summary>
public sealed class VisionTransformer : Backbone
{
    private readonly PatchEmbed patch_embed;
    private readonly Parameter cls_token;
    private readonly Parameter pos_embed;
    private readonly ModuleList<Block> blocks;
    private readonly LayerNorm norm;
    private readonly nn.Module<Tensor, Tensor> pre_logits;
    private readonly nn.Module<Tensor, Tensor> head;
    private readonly PetlSettings _petl;

    /// <param name="widths">per block, the kept heads and MLP units of a width-pruned model (null: full width).</param>
    public VisionTransformer(VitConfig config, PetlSettings petl, IReadOnlyList<BlockWidth?>? widths = null) : base(nameof(VisionTransformer))
    {
        config.Validate();
        Config = config;
        _petl = petl;
        patch_embed = new PatchEmbed(config.PatchSize, config.InChannels, config.Width);
        cls_token = new Parameter(torch.zeros(1, 1, config.Width));
        pos_embed = new Parameter(torch.zeros(1, config.Tokens, config.Width));
        if (widths is not null && widths.Count != config.Depth) throw new ArgumentException($"{widths.Count} block widths for {config.Depth} blocks", nameof(widths));
        Widths = widths ?? new BlockWidth?[config.Depth];
        blocks = new ModuleList<Block>(Enumerable.Range(0, config.Depth).Select(i => new Block(config, petl, i, Widths[i])).ToArray());
        norm = nn.LayerNorm(config.Width, eps: config.LayerNormEps);
        pre_logits = config.HasPreLogits ? new PreLogits(config.Width) : nn.Identity();
        head = config.NumClasses > 0 ? nn.Linear(config.Width, config.NumClasses) : nn.Identity();
        RegisterComponents();
    }

    public VitConfig Config { get; }

    /// <summary>Each block's kept heads and units (null entries: full width).</summary>
    public IReadOnlyList<BlockWidth?> Widths { get; }

    public override string Family => "vit";

    public override int Depth => Config.Depth;

    public override int FeatureWidth => Config.Width;

    public override int NumClasses => Config.NumClasses;

    public override string FeatureKind => "cls";

    public override PetlSettings Petl => _petl;

    public override InputSpec Input => new(Config.ImageSize, Config.InChannels, Config.Mean, Config.Std);

    public override void ResetAdapters()
    {
        foreach (var b in blocks) b.ResetAdapters();
    }

    /// <summary>Patch embedding, class token and position embedding (a model cast to bfloat16/float16 takes
    /// float32 images).</summary>
    public override Tensor Embed(Tensor images)
    {
        using var scope = torch.NewDisposeScope(); // see Block
        var dtype = cls_token.dtype;
        var x = patch_embed.forward(images.dtype == dtype ? images : images.to(dtype));
        var cls = cls_token.expand(x.shape[0], -1, -1);
        return torch.cat([cls, x], 1).add(pos_embed, Scalars.One).MoveToOuterDisposeScope();
    }

    public override Tensor RunBlock(int i, Tensor x) => blocks[i].forward(x);

    /// <summary>The cls token.</summary>
    public override Tensor BlockFeature(Tensor tokens) => tokens[.., 0];

    /// <summary>Final norm, cls pooling, pre-logits and head.</summary>
    public override Tensor Head(Tensor tokens)
    {
        using var scope = torch.NewDisposeScope();
        return head.forward(pre_logits.forward(norm.forward(tokens)[.., 0])).MoveToOuterDisposeScope();
    }

    /// <summary>Heads and LayerNorm epsilon: shapes show neither.</summary>
    public override IReadOnlyDictionary<string, string> ExportMetadata() => new Dictionary<string, string>
    {
        ["heads"] = Config.Heads.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["layer_norm_eps"] = Config.LayerNormEps.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
    };

    public override GraphValue EmitGraph(IGraph g, GraphValue images) => VitGraph.Emit(this, g, images);

    /// <summary>Patch embedding, qkv, the two attention products, proj, fc1, fc2 and the PETL modules (LoRA
    /// unmerged) of each block at its own width, pre-logits and head; PETL tokens (VPT's prompts) count in every block.</summary>
    public override long FlopsPerImage()
    {
        var c = Config;
        long d = c.Width, g2 = (long)c.GridSize * c.GridSize, hd = c.Width / c.Heads;
        long n = c.Tokens + _petl.Method.ExtraTokens(_petl);
        long macs = g2 * c.InChannels * c.PatchSize * c.PatchSize * d;           // patch embedding
        for (int i = 0; i < c.Depth; i++)
        {
            var w = Widths[i];
            long inner = (w?.Heads.Count ?? c.Heads) * (w?.HeadDims?.Count ?? hd), mlp = w?.MlpUnits.Count ?? c.MlpHidden;
            macs += n * d * 3 * inner + 2 * n * n * inner + n * inner * d + 2 * n * d * mlp;
            macs += _petl.Method.BlockMacs(_petl, new BlockShape(n, d, inner, mlp, g2));
        }
        if (c.HasPreLogits) macs += d * d;
        macs += d * c.NumClasses;
        return 2 * macs;
    }
}
