using SlsPrune.Core.Models.Layers;
using SlsPrune.Core.Models.Petl;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Vit;

/// <summary>Multi-head self-attention with fused qkv, as timm's <c>Attention</c> (scaled dot product); qkv
/// and proj are the PETL method's linear slots (LoRA's). A width-pruned block
/// keeps fewer heads, or fewer dimensions per head, so qkv has 3 x heads x head dim outputs and proj as many
/// inputs. Attention logits keep the full model's 1 / sqrt(head dim): with fewer dimensions q is scaled by
/// sqrt(kept / full) before the (1 / sqrt(kept)) scaled dot product.</summary>
public sealed class Attention : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> qkv;
    private readonly nn.Module<Tensor, Tensor> proj;
    private readonly int _heads;
    private readonly int _headDim;
    private readonly Scalar? _qScale;

    /// <param name="fullHeadDim">the unpruned model's head dim, whose scale the logits keep.</param>
    public Attention(int width, int heads, int headDim, PetlSettings petl, int? fullHeadDim = null) : base(nameof(Attention))
    {
        _heads = heads;
        _headDim = headDim;
        if (fullHeadDim is int f && f != headDim) _qScale = Math.Sqrt((double)headDim / f).ToScalar(); // owned (Runtime/Scalars)
        int inner = heads * headDim;
        qkv = petl.Method.Linear(petl, LinearRole.Qkv, width, inner * 3) ?? nn.Linear(width, inner * 3);
        proj = petl.Method.Linear(petl, LinearRole.Proj, inner, width) ?? nn.Linear(inner, width);
        RegisterComponents();
    }

    /// <summary>The PETL modules in the linear slots re-initialised (no-op without any).</summary>
    public void ResetPetl()
    {
        (qkv as IPetlModule)?.ResetPetl();
        (proj as IPetlModule)?.ResetPetl();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope(); // see Block
        long b = x.shape[0], n = x.shape[1];
        var qkvs = FlatLinear.Forward(qkv, x).reshape(b, n, 3, _heads, _headDim).permute(2, 0, 3, 1, 4).unbind(0);
        var q = _qScale is null ? qkvs[0] : qkvs[0].mul(_qScale);
        var attended = nn.functional.scaled_dot_product_attention(q, qkvs[1], qkvs[2]);
        return FlatLinear.Forward(proj, attended.transpose(1, 2).reshape(b, n, _heads * _headDim)).MoveToOuterDisposeScope();
    }
}
