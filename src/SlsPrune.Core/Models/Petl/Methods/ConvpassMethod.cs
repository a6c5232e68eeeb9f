using SlsPrune.Core.Models.Graph;

namespace SlsPrune.Core.Models.Petl.Methods;

/// <summary>Convpass in both branches' adapter slots (<see cref="Petl.Convpass"/>).</summary>
public sealed class ConvpassMethod : PetlMethod
{
    public override string Name => "convpass";

    public override bool Detect(IReadOnlyCollection<string> names) => names.Any(n => n.Contains(".adapter_attn.adapter_down.",
        StringComparison.Ordinal));

    public override (string Key, int Axis)? HiddenDimProbe => ("blocks.0.adapter_attn.adapter_down.weight", 0);

    public override bool OwnsParameter(string name) => name.Contains(".adapter_", StringComparison.Ordinal);

    public override BranchAdapter Adapter(PetlSettings s, int width, Branch branch, int prefixTokens = 1) => new Convpass(width, s.HiddenDim, s.Scale,
        prefixTokens);

    public override GraphValue EmitBranch(IGraph g, PetlSettings s, BlockShape b, string adapter, Func<GraphValue, GraphValue> sublayer,
        GraphValue normed, GraphValue input)
    {
        long grid = (long)Math.Round(Math.Sqrt(b.GridTokens));
        return g.Add(sublayer(normed), g.Scale(Convpass.Emit(g, adapter, grid, b.PrefixTokens, s.HiddenDim, normed), s.Scale));
    }

    /// <summary>Per branch: down, the 3x3 conv over the grid and each prefix token (as a 1x1 image), up.</summary>
    public override long BlockMacs(PetlSettings s, BlockShape b) =>
        2 * (b.Tokens * b.Width * s.HiddenDim + b.Tokens * 9L * s.HiddenDim * s.HiddenDim + b.Tokens * s.HiddenDim * b.Width);
}
