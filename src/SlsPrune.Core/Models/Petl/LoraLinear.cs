using SlsPrune.Core.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Petl;

/// <summary>
/// LoRA (Hu et al.) on a linear layer: <c>W x + b + s * B(A(x))</c> with A: [rank, in], B: [out, rank] and
/// s = alpha / rank. Holds the frozen layer's own <c>weight</c> and <c>bias</c>, so the state-dict names are
/// those of PEFT on timm: <c>blocks.i.attn.qkv.weight</c>, <c>.bias</c>, <c>.lora_A.weight</c>, <c>.lora_B.weight</c>.
/// </summary>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>, IPetlModule
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Linear lora_A;
    private readonly Linear lora_B;
    private readonly Scalar _scale;

    public LoraLinear(int inFeatures, int outFeatures, int rank, double scale) : base(nameof(LoraLinear))
    {
        weight = new Parameter(torch.empty(outFeatures, inFeatures));
        bias = new Parameter(torch.zeros(outFeatures));
        lora_A = nn.Linear(inFeatures, rank, hasBias: false);
        lora_B = nn.Linear(rank, outFeatures, hasBias: false);
        _scale = scale.ToScalar(); // owned for the module's life (see Runtime/Scalars)
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var shape = x.shape;
        var flat = x.reshape(-1, shape[^1]);                                   // 2-D, so the bias fuses (see FlatLinear)
        var y = torch.addmm(bias, flat, weight.t(), beta: 1, alpha: 1).add(lora_B.forward(lora_A.forward(flat)), _scale);
        shape[^1] = y.shape[1];
        return y.reshape(shape).MoveToOuterDisposeScope();
    }

    /// <summary>As PEFT: A Kaiming-uniform (a = sqrt 5, torch's Linear default), B zero, so a fresh LoRA adds nothing.</summary>
    public void ResetPetl()
    {
        using var _ = torch.no_grad();
        nn.init.kaiming_uniform_(lora_A.weight, Math.Sqrt(5));
        lora_B.weight.zero_();
    }
}
