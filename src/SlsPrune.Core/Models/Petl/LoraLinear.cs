using SlsPrune.Core.Models.Graph;
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

    /// <summary>Every LoRA pair folded into the layer it sits beside, <c>W' = W + s B A</c> (in float64); the
    /// result holds no <c>lora_</c> tensors and loads into a model without LoRA.</summary>
    public static Dictionary<string, Tensor> Merge(IReadOnlyDictionary<string, Tensor> weights, double scale)
    {
        using var _ = torch.no_grad();
        var result = weights.Where(kv => !kv.Key.Contains(".lora_", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value,
            StringComparer.Ordinal);
        foreach (var a in weights.Keys.Where(k => k.EndsWith(".lora_A.weight", StringComparison.Ordinal)))
        {
            string layer = a[..^".lora_A.weight".Length];
            var w = weights[layer + ".weight"];
            using var delta = weights[layer + ".lora_B.weight"].to(float64).matmul(weights[a].to(float64));
            result[layer + ".weight"] = w.to(float64).add(delta, scale).to(w.dtype);
        }
        return result;
    }

    /// <summary>The same in an exported graph: the frozen layer plus <c>s B(A(x))</c>.</summary>
    public static GraphValue Emit(IGraph g, string prefix, double scale, GraphValue x)
    {
        var low = g.Op("MatMul", [g.Op("MatMul", [x, g.Weight(prefix + ".lora_A.weight", transpose: true)]), g.Weight(prefix + ".lora_B.weight",
            transpose: true)]);
        return g.Add(g.Linear(x, prefix), g.Scale(low, scale));
    }

    /// <summary>As PEFT: A Kaiming-uniform (a = sqrt 5, torch's Linear default), B zero, so a fresh LoRA adds nothing.</summary>
    public void ResetPetl()
    {
        using var _ = torch.no_grad();
        nn.init.kaiming_uniform_(lora_A.weight, Math.Sqrt(5));
        lora_B.weight.zero_();
    }
}
