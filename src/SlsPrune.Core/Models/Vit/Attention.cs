using SlsPrune.Core.Models.Petl;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Vit;

/// <summary>Multi-head self-attention with fused qkv, as timm's <c>Attention</c> (scaled dot product); qkv
/// carries LoRA where the PETL method is LoRA.</summary>
public sealed class Attention : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> qkv;
    private readonly Linear proj;
    private readonly int _heads;

    public Attention(int width, int heads, PetlSettings petl) : base(nameof(Attention))
    {
        _heads = heads;
        qkv = petl.Method == PetlMethod.Lora ? new LoraLinear(width, width * 3, petl.HiddenDim, petl.Scale) : nn.Linear(width, width * 3);
        proj = nn.Linear(width, width);
        RegisterComponents();
    }

    /// <summary>LoRA's initialisation (no-op without LoRA).</summary>
    public void ResetLora() => (qkv as LoraLinear)?.ResetLora();

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope(); // see Block
        long b = x.shape[0], n = x.shape[1], c = x.shape[2];
        var qkvs = (qkv is Linear plain ? FlatLinear.Apply(plain, x) : qkv.forward(x)).reshape(b, n, 3, _heads, c / _heads).permute(2, 0, 3, 1, 4).unbind(0);
        var attended = nn.functional.scaled_dot_product_attention(qkvs[0], qkvs[1], qkvs[2]);
        return FlatLinear.Apply(proj, attended.transpose(1, 2).reshape(b, n, c)).MoveToOuterDisposeScope();
    }
}
