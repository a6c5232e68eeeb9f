using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Models.Vit;
using SlsPrune.Core.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Swin;

/// <summary>A Swin v1 block on [B, H, W, C] tokens: x + attn(norm1(x)), then + mlp(norm2(x)), LayerNorm eps 1e-5,
/// the MLP (fc1, exact GELU, fc2) as ViT's. PETL slots as ViT's <see cref="Vit.Block"/>: the linear layers (LoRA's)
/// and an adapter slot per branch (Convpass, RepAdapter, AdaptFormer), which gets the tokens flattened to
/// [B, H*W, C] with no prefix token (Convpass's conv runs over the H x W grid); no token slot (VPT). A width-pruned
/// block keeps fewer heads and MLP units; its input and output stay the stage's width.</summary>
public sealed class SwinBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly WindowAttention attn;
    private readonly BranchAdapter adapter_attn;
    private readonly LayerNorm norm2;
    private readonly Mlp mlp;
    private readonly BranchAdapter adapter_mlp;

    /// <param name="block">the block's place in the full model (its stage and shift).</param>
    /// <param name="kept">the heads (head dims) and MLP units a width-pruned block keeps (null: all); the residual
    /// width, and so the adapters, stay the stage's.</param>
    public SwinBlock(SwinConfig config, int block, BlockWidth? kept, PetlSettings petl) : base(nameof(SwinBlock))
    {
        int s = config.StageOf(block), width = config.StageWidth(s);
        var full = config.BlockSizesOf(block);
        var keep = full.Keep(kept);
        norm1 = nn.LayerNorm(width, eps: SwinConfig.Eps);
        attn = new WindowAttention(width, keep.Heads, keep.HeadDim, full.HeadDim,
            config.Windows[s], config.Shifted(block), petl);
        adapter_attn = petl.Method.Adapter(petl, width, Branch.Attention, prefixTokens: 0) ?? new NoAdapter();
        norm2 = nn.LayerNorm(width, eps: SwinConfig.Eps);
        mlp = new Mlp(width, keep.MlpUnits, petl);
        adapter_mlp = petl.Method.Adapter(petl, width, Branch.Mlp, prefixTokens: 0) ?? new NoAdapter();
        RegisterComponents();
    }

    public void ResetAdapters()
    {
        adapter_attn.ResetParameters();
        adapter_mlp.ResetParameters();
        attn.ResetPetl();
        mlp.ResetPetl();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope(); // see Vit.Block
        long b = x.shape[0], gh = x.shape[1], gw = x.shape[2], c = x.shape[3];
        Tensor Seq(Tensor t) => t.reshape(b, gh * gw, c);
        Tensor Grid(Tensor t) => t.reshape(b, gh, gw, c);
        var attnOut = adapter_attn.Apply(t => Seq(attn.forward(Grid(t))), Seq(norm1.forward(x)), Seq(x));
        var h = x.add(Grid(attnOut), Scalars.One);
        var mlpOut = adapter_mlp.Apply(mlp.forward, Seq(norm2.forward(h)), Seq(h));
        return h.add(Grid(mlpOut), Scalars.One).MoveToOuterDisposeScope();
    }
}

/// <summary>Swin v1 patch merging between stages, [B, H, W, C] to [B, H/2, W/2, 2C]: an odd grid padded (bottom,
/// right) with zeros, the four tokens of every 2x2 cell concatenated as (row 0, col 0), (1, 0), (0, 1), (1, 1),
/// LayerNorm over the 4C channels, then a Linear 4C to 2C without bias (<c>reduction</c>).</summary>
public sealed class PatchMerging : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm;
    private readonly Linear reduction;

    public PatchMerging(int width) : base(nameof(PatchMerging))
    {
        norm = nn.LayerNorm(4 * width, eps: SwinConfig.Eps);
        reduction = nn.Linear(4 * width, 2 * width, hasBias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        long h = x.shape[1], w = x.shape[2];
        if (h % 2 == 1 || w % 2 == 1) x = nn.functional.pad(x, [0, 0, 0, w % 2, 0, h % 2]);
        long h2 = x.shape[1], w2 = x.shape[2];
        Tensor Cell(long r, long c) => x.slice(1, r, h2, 2).slice(2, c, w2, 2);
        var merged = torch.cat([Cell(0, 0), Cell(1, 0), Cell(0, 1), Cell(1, 1)], -1);
        return Layers.FlatLinear.Apply(reduction, norm.forward(merged)).MoveToOuterDisposeScope();
    }
}

/// <summary>Images to [B, H/p, W/p, C] tokens: a stride-p convolution (<c>proj</c>), channels last, LayerNorm (<c>norm</c>).</summary>
public sealed class SwinPatchEmbed : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d proj;
    private readonly LayerNorm norm;

    public SwinPatchEmbed(int patch, int inChannels, int width) : base(nameof(SwinPatchEmbed))
    {
        proj = nn.Conv2d(inChannels, width, patch, stride: patch);
        norm = nn.LayerNorm(width, eps: SwinConfig.Eps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return norm.forward(proj.forward(x).permute(0, 2, 3, 1)).MoveToOuterDisposeScope();
    }
}
