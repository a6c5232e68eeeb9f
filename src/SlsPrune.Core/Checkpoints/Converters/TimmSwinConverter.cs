using System.Globalization;
using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace SlsPrune.Core.Checkpoints.Converters;

/// <summary>
/// timm's Swin v1 names to the internal ones: <c>layers.{s}.blocks.{b}</c> to <c>blocks.{i}</c> numbered over all
/// stages; the patch mergings <c>layers.{s}.downsample</c> to <c>merges.{s-1}</c> (timm &gt;= 0.9: at the start of
/// stages 2-4) or <c>merges.{s}</c> (older timm and Microsoft's checkpoints: at the end of stages 1-3, recognised by
/// a <c>layers.0.downsample</c>); <c>head.fc</c> (or an older plain <c>head</c>) to <c>head</c>;
/// <c>patch_embed</c> and <c>norm</c> as they are. Stored <c>relative_position_index</c> and <c>attn_mask</c>
/// buffers are dropped (the model rebuilds them). Renames only.
/// </summary>
public sealed partial class TimmSwinConverter : IStateDictConverter
{
    public string Name => "timm-swin";

    public bool Recognises(IReadOnlyCollection<string> names) => names.Contains("layers.0.blocks.0.attn.relative_position_bias_table");

    [GeneratedRegex(@"^layers\.(\d+)\.blocks\.(\d+)\.(.+)$")]
    private static partial Regex Block();

    [GeneratedRegex(@"^layers\.(\d+)\.downsample\.(.+)$")]
    private static partial Regex Downsample();

    public Dictionary<string, Tensor> Convert(IReadOnlyDictionary<string, Tensor> state, string source)
    {
        var depths = new SortedDictionary<int, int>();
        foreach (var name in state.Keys)
            if (Block().Match(name) is { Success: true } m)
                depths[Int(m.Groups[1].Value)] = Math.Max(depths.GetValueOrDefault(Int(m.Groups[1].Value)), Int(m.Groups[2].Value) + 1);
        var start = new Dictionary<int, int>();
        int total = 0;
        for (int s = 0; depths.ContainsKey(s); s++)
        {
            start[s] = total;
            total += depths[s];
        }
        bool mergeAtEnd = state.Keys.Any(k => k.StartsWith("layers.0.downsample.", StringComparison.Ordinal));

        var o = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in state)
        {
            string? to = name;
            if (Block().Match(name) is { Success: true } b && start.TryGetValue(Int(b.Groups[1].Value), out int first))
            {
                string rest = b.Groups[3].Value;
                to = rest.EndsWith("relative_position_index", StringComparison.Ordinal) || rest == "attn_mask" ? null
                    : BlockKey.Name(first + Int(b.Groups[2].Value), rest);
            }
            else if (Downsample().Match(name) is { Success: true } d)
                to = $"merges.{Int(d.Groups[1].Value) - (mergeAtEnd ? 0 : 1)}.{d.Groups[2].Value}";
            else if (name.StartsWith("head.fc.", StringComparison.Ordinal)) to = "head." + name["head.fc.".Length..];
            if (to is not null) o[to] = t;
        }
        return o;
    }

    private static int Int(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1;
}
