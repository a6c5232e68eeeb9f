using SlsPrune.Core.Models.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Petl.Methods;

/// <summary>SPLoRA: LoRA on every frozen linear layer of the blocks (qkv, proj, fc1, fc2), the structured pruning
/// adapter of Hedegaard et al.; width pruning cuts its A and B with the layer they sit beside.</summary>
public sealed class SpLoraMethod : PetlMethod
{
    public override string Name => "splora";

    public override bool Detect(IReadOnlyCollection<string> names) => names.Any(n => n.Contains(".mlp.fc1.lora_A.", StringComparison.Ordinal));

    public override (string Key, int Axis)? HiddenDimProbe => ("blocks.0.mlp.fc1.lora_A.weight", 0);

    public override bool OwnsParameter(string name) => name.Contains(".lora_", StringComparison.Ordinal);

    public override nn.Module<Tensor, Tensor> Linear(PetlSettings s, LinearRole role, int inFeatures, int outFeatures) =>
        new LoraLinear(inFeatures, outFeatures, s.HiddenDim, s.Scale);

    /// <summary>A and B beside qkv, proj, fc1 and fc2.</summary>
    public override long BlockMacs(PetlSettings s, BlockShape b)
    {
        long n = b.Tokens, a = b.AttentionTokens, h = s.HiddenDim, d = b.Width;
        return a * h * (d + 3 * b.Inner) + a * h * (b.Inner + d) + n * h * (d + b.Mlp) + n * h * (b.Mlp + d);
    }

    public override GraphValue EmitLinear(IGraph g, PetlSettings s, LinearRole role, string prefix, GraphValue x) =>
        LoraLinear.Emit(g, prefix, s.Scale, x);

    public override bool Mergeable => true;

    public override Dictionary<string, Tensor> Merge(IReadOnlyDictionary<string, Tensor> weights, PetlSettings s, int depth) =>
        LoraLinear.Merge(weights, s.Scale);

    public override IReadOnlyDictionary<string, SliceRole> SliceRules { get; } = new Dictionary<string, SliceRole>
    {
        ["attn.qkv.lora_B.weight"] = SliceRole.QkvRows,
        ["attn.proj.lora_A.weight"] = SliceRole.ProjColumns,
        ["mlp.fc1.lora_B.weight"] = SliceRole.UnitRows,
        ["mlp.fc2.lora_A.weight"] = SliceRole.UnitColumns,
    };
}
