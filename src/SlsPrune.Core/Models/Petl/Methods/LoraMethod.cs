using SlsPrune.Core.Models.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Petl.Methods;

/// <summary>LoRA on the attention's qkv (<see cref="LoraLinear"/>, PEFT's names).</summary>
public sealed class LoraMethod : PetlMethod
{
    public override string Name => "lora";

    public override bool Detect(IReadOnlyCollection<string> names) => names.Any(n => n.Contains(".attn.qkv.lora_A.", StringComparison.Ordinal));

    public override (string Key, int Axis)? HiddenDimProbe => ("blocks.0.attn.qkv.lora_A.weight", 0);

    public override bool OwnsParameter(string name) => name.Contains(".lora_", StringComparison.Ordinal);

    public override nn.Module<Tensor, Tensor>? Linear(PetlSettings s, LinearRole role, int inFeatures, int outFeatures) =>
        role == LinearRole.Qkv ? new LoraLinear(inFeatures, outFeatures, s.HiddenDim, s.Scale) : null;

    /// <summary>A and B beside qkv.</summary>
    public override long BlockMacs(PetlSettings s, BlockShape b) => b.AttentionTokens * b.Width * s.HiddenDim + b.AttentionTokens * s.HiddenDim * 3
        * b.Inner;

    public override GraphValue EmitLinear(IGraph g, PetlSettings s, LinearRole role, string prefix, GraphValue x) =>
        role == LinearRole.Qkv ? LoraLinear.Emit(g, prefix, s.Scale, x) : g.Linear(x, prefix);

    public override bool Mergeable => true;

    public override Dictionary<string, Tensor> Merge(IReadOnlyDictionary<string, Tensor> weights, PetlSettings s, int depth) =>
        LoraLinear.Merge(weights, s.Scale);

    public override IReadOnlyDictionary<string, SliceRole> SliceRules { get; } = new Dictionary<string, SliceRole>
    {
        ["attn.qkv.lora_B.weight"] = SliceRole.QkvRows,
    };
}
