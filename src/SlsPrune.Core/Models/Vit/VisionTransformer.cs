using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Models;
using SlsPrune.Core.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Vit;

/// <summary>
/// ViT with timm's state-dict names (<c>patch_embed.proj</c>, <c>cls_token</c>, <c>pos_embed</c>,
/// <c>blocks.{i}</c>, <c>norm</c>, <c>pre_logits.fc</c>, <c>head</c>), token pooling, LayerNorm eps 1e-6.
/// A pruned model is simply one built with fewer blocks (or narrower ones).
/// </summary>
public sealed class VisionTransformer : nn.Module<Tensor, Tensor>
{
    private readonly PatchEmbed patch_embed;
    private readonly Parameter cls_token;
    private readonly Parameter pos_embed;
    private readonly ModuleList<Block> blocks;
    private readonly LayerNorm norm;
    private readonly nn.Module<Tensor, Tensor> pre_logits;
    private readonly nn.Module<Tensor, Tensor> head;

    /// <param name="widths">per block, the kept heads and MLP units of a width-pruned model (null: full width).</param>
    public VisionTransformer(VitConfig config, PetlSettings petl, IReadOnlyList<BlockWidth?>? widths = null) : base(nameof(VisionTransformer))
    {
        config.Validate();
        Config = config;
        Petl = petl;
        patch_embed = new PatchEmbed(config.PatchSize, config.InChannels, config.Width);
        cls_token = new Parameter(torch.zeros(1, 1, config.Width));
        pos_embed = new Parameter(torch.zeros(1, config.Tokens, config.Width));
        if (widths is not null && widths.Count != config.Depth) throw new ArgumentException($"{widths.Count} block widths for {config.Depth} blocks", nameof(widths));
        Widths = widths ?? new BlockWidth?[config.Depth];
        blocks = new ModuleList<Block>(Enumerable.Range(0, config.Depth).Select(i => new Block(config, petl, i, Widths[i])).ToArray());
        norm = nn.LayerNorm(config.Width, eps: 1e-6);
        pre_logits = config.HasPreLogits ? new PreLogits(config.Width) : nn.Identity();
        head = config.NumClasses > 0 ? nn.Linear(config.Width, config.NumClasses) : nn.Identity();
        RegisterComponents();
    }

    public VitConfig Config { get; }

    public PetlSettings Petl { get; }

    /// <summary>Each block's kept heads and units (null entries: full width).</summary>
    public IReadOnlyList<BlockWidth?> Widths { get; }

    /// <summary>Re-initialises every block's PETL modules as the reference code does before training.</summary>
    public void ResetAdapters()
    {
        foreach (var b in blocks) b.ResetAdapters();
    }

    /// <summary>Patch embedding, class token and position embedding: the input of block 1. Images are cast
    /// to the weights' type (a model cast to bfloat16/float16 takes float32 images).</summary>
    public Tensor Embed(Tensor images)
    {
        using var scope = torch.NewDisposeScope(); // see Block
        var dtype = cls_token.dtype;
        var x = patch_embed.forward(images.dtype == dtype ? images : images.to(dtype));
        var cls = cls_token.expand(x.shape[0], -1, -1);
        return torch.cat([cls, x], 1).add(pos_embed, Scalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>Final norm, token pooling, pre-logits and head: logits from the last block's tokens.</summary>
    public Tensor Head(Tensor tokens)
    {
        using var scope = torch.NewDisposeScope();
        return head.forward(pre_logits.forward(norm.forward(tokens)[.., 0])).MoveToOuterDisposeScope();
    }

    /// <summary>The model's <paramref name="i"/>-th block on tokens <paramref name="x"/>.</summary>
    public Tensor RunBlock(int i, Tensor x) => blocks[i].forward(x);

    /// <summary>Logits from all blocks.</summary>
    public override Tensor forward(Tensor images) => ForwardFirst(images, blocks.Count);

    /// <summary>Logits from running only the first <paramref name="k"/> blocks.</summary>
    public Tensor ForwardFirst(Tensor images, int k)
    {
        if (k < 0 || k > blocks.Count) throw new ArgumentOutOfRangeException(nameof(k), $"model has {blocks.Count} blocks");
        using var scope = torch.NewDisposeScope(); // each block's input is freed once the next exists
        var x = Embed(images);
        for (int i = 0; i < k; i++)
        {
            var next = blocks[i].forward(x);
            x.Dispose();
            x = next;
        }
        return Head(x).MoveToOuterDisposeScope();
    }

    /// <summary>One pass: the cls token after every block (before the final norm), [depth, batch, width],
    /// and the logits.</summary>
    public (Tensor ClsTokens, Tensor Logits) ForwardIntermediates(Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        var x = Embed(images);
        var cls = new Tensor[blocks.Count];
        for (int i = 0; i < blocks.Count; i++)
        {
            var next = blocks[i].forward(x);
            x.Dispose();
            x = next;
            cls[i] = x[.., 0].clone(); // a copy, so the block's whole token tensor can be freed
        }
        var stacked = cls.Length > 0 ? torch.stack(cls) : torch.empty(0, images.shape[0], Config.Width, device: images.device, dtype: x.dtype);
        return (stacked.MoveToOuterDisposeScope(), Head(x).MoveToOuterDisposeScope());
    }
}
