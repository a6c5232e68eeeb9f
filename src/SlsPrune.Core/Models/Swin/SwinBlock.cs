using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Models.Vit;
using SlsPrune.Core.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Swin;

/// <summary>A Swin v1 block on [B, H, W, C] tokens: x + attn(norm1(x)), then + mlp(norm2(x)), LayerNorm eps 1e-5,
/// the MLP (fc1, exact GELU, fc2) as ViT's. Only the linear slots take PETL modules (LoRA's).</summary>
public sealed class SwinBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly WindowAttention attn;
    private readonly LayerNorm norm2;
    private readonly Mlp mlp;

    public SwinBlock(int width, int heads, int window, bool shifted, int mlpHidden, PetlSettings petl) : base(nameof(SwinBlock))
    {
        norm1 = nn.LayerNorm(width, eps: SwinConfig.Eps);
        attn = new WindowAttention(width, heads, window, shifted, petl);
        norm2 = nn.LayerNorm(width, eps: SwinConfig.Eps);
        mlp = new Mlp(width, mlpHidden, petl);
        RegisterComponents();
    }

    public void ResetAdapters()
    {
        attn.ResetPetl();
        mlp.ResetPetl();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope(); // see Vit.Block
        var h = x.add(attn.forward(norm1.forward(x)), Scalars.One);
        return h.add(mlp.forward(norm2.forward(h)), Scalars.One).MoveToOuterDisposeScope();
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
