using SlsPrune.Core.Models.Graph;

namespace SlsPrune.Core.Models.Petl.Methods;

/// <summary>AdaptFormer's parallel adapter in the MLP branch's slot (<see cref="Petl.AdaptFormer"/>).</summary>
public sealed class AdaptFormerMethod : PetlMethod
{
    public override string Name => "adaptformer";

    public override bool Detect(IReadOnlyCollection<string> names) => names.Any(n => n.Contains(".adapter_mlp.down_proj.", StringComparison.Ordinal));

    public override (string Key, int Axis)? HiddenDimProbe => ("blocks.0.adapter_mlp.down_proj.weight", 0);

    public override bool OwnsParameter(string name) => name.Contains(".adapter_", StringComparison.Ordinal);

    public override BranchAdapter? Adapter(PetlSettings s, int width, Branch branch, int prefixTokens = 1) =>
        branch == Branch.Mlp ? new AdaptFormer(width, s.HiddenDim, s.Scale) : null;

    public override GraphValue EmitBranch(IGraph g, PetlSettings s, BlockShape b, string adapter, Func<GraphValue, GraphValue> sublayer,
        GraphValue normed, GraphValue input) =>
        adapter.EndsWith(".adapter_mlp", StringComparison.Ordinal) ? AdaptFormer.Emit(g, adapter, s.Scale, sublayer(normed), input)
            : sublayer(normed);

    /// <summary>Down and up beside the MLP.</summary>
    public override long BlockMacs(PetlSettings s, BlockShape b) => 2 * b.Tokens * b.Width * s.HiddenDim;
}
