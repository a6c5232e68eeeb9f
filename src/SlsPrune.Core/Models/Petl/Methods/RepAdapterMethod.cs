using System.Globalization;
using SlsPrune.Core.Models.Graph;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Petl.Methods;

/// <summary>RepAdapter in both branches' adapter slots (<see cref="Petl.RepAdapter"/>); merges exactly into
/// qkv and fc1 (<see cref="RepAdapterMerge"/>).</summary>
public sealed class RepAdapterMethod : PetlMethod
{
    public override string Name => "repadapter";

    public override bool Detect(IReadOnlyCollection<string> names) => names.Any(n => n.Contains(".adapter_attn.conv_A.", StringComparison.Ordinal));

    public override (string Key, int Axis)? HiddenDimProbe => ("blocks.0.adapter_attn.conv_A.weight", 0);

    public override bool OwnsParameter(string name) => name.Contains(".adapter_", StringComparison.Ordinal);

    /// <summary>conv_B's groups: from <c>petl_groups</c> (default 2), checked against conv_B's shape.</summary>
    public override PetlSettings Complete(PetlSettings settings, IReadOnlyDictionary<string, long[]> shapes,
        IReadOnlyDictionary<string, string> metadata, string source)
    {
        int groups = 2;
        if (metadata.TryGetValue("petl_groups", out var gs) && !int.TryParse(gs, NumberStyles.Integer, CultureInfo.InvariantCulture, out groups))
            throw new SlsInputException(source, $"metadata petl_groups '{gs}' is not an integer");
        if (shapes.TryGetValue(PetlResolver.FirstBlock(shapes, "blocks.0.adapter_attn.conv_B.weight"), out var b) && b[1]
            * groups != settings.HiddenDim)
            throw new SlsInputException(source, $"conv_B takes {b[1]} channels per group; with {groups} groups that is not hidden dim "
                + $"{settings.HiddenDim}");
        return settings with { Groups = groups };
    }

    public override BranchAdapter Adapter(PetlSettings s, int width, Branch branch, int prefixTokens = 1) => new RepAdapter(width, s.HiddenDim,
        s.Scale, s.Groups);

    /// <summary>Per branch: conv_A, and the grouped conv_B.</summary>
    public override long BlockMacs(PetlSettings s, BlockShape b) =>
        2 * (b.Tokens * b.Width * s.HiddenDim + b.Tokens * (s.HiddenDim / s.Groups) * b.Width);

    public override GraphValue EmitBranch(IGraph g, PetlSettings s, BlockShape b, string adapter, Func<GraphValue, GraphValue> sublayer,
        GraphValue normed, GraphValue input) => sublayer(RepAdapter.Emit(g, adapter, s.Scale, s.Groups, normed));

    public override bool Mergeable => true;

    public override bool MergeKeepsZeroTokens => false;

    public override Dictionary<string, Tensor> Merge(IReadOnlyDictionary<string, Tensor> weights, PetlSettings s, int depth) =>
        RepAdapterMerge.Merge(weights, s, depth);
}
