using System.Globalization;
using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace SlsPrune.Core.Checkpoints.Converters;

/// <summary>
/// torchvision's Swin v1 names (<c>torchvision.models.swin_t().state_dict()</c>) to the internal ones:
/// <c>features.0.0</c> (conv) and <c>features.0.2</c> (norm) to <c>patch_embed.proj</c> / <c>patch_embed.norm</c>;
/// the stages <c>features.{1,3,5,7}.{b}</c> to <c>blocks.{i}</c> numbered over all stages, with <c>mlp.0</c> /
/// <c>mlp.3</c> to <c>mlp.fc1</c> / <c>mlp.fc2</c>; the patch mergings <c>features.{2,4,6}</c> to
/// <c>merges.{0,1,2}</c>; <c>norm</c> and <c>head</c> as they are. The stored
/// <c>relative_position_index</c> buffers are dropped (the model rebuilds them). Renames only.
/// </summary>
public sealed partial class TorchvisionSwinConverter : IStateDictConverter
{
    public string Name => "torchvision-swin";

    public bool Recognises(IReadOnlyCollection<string> names) =>
        names.Contains("features.0.0.weight") && names.Any(n => n.StartsWith("features.1.0.attn.relative_position_bias_table",
            StringComparison.Ordinal));

    [GeneratedRegex(@"^features\.(\d+)\.(\d+)\.(.+)$")]
    private static partial Regex Feature();

    public Dictionary<string, Tensor> Convert(IReadOnlyDictionary<string, Tensor> state, string source)
    {
        // stage s is features.{2s+1}; its blocks are numbered after those of the stages before it
        var depths = new SortedDictionary<int, int>();
        foreach (var name in state.Keys)
            if (Feature().Match(name) is { Success: true } m && Int(m.Groups[1].Value) is int f && f % 2 == 1 && char.IsDigit(m.Groups[2].Value[0]))
                depths[(f - 1) / 2] = Math.Max(depths.GetValueOrDefault((f - 1) / 2), Int(m.Groups[2].Value) + 1);
        var start = new Dictionary<int, int>();
        int total = 0;
        for (int s = 0; depths.ContainsKey(s); s++)
        {
            start[s] = total;
            total += depths[s];
        }

        var o = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in state)
        {
            string? to = name;
            if (name.StartsWith("features.0.0.", StringComparison.Ordinal)) to = "patch_embed.proj." + name["features.0.0.".Length..];
            else if (name.StartsWith("features.0.2.", StringComparison.Ordinal)) to = "patch_embed.norm." + name["features.0.2.".Length..];
            else if (Feature().Match(name) is { Success: true } m && Int(m.Groups[1].Value) is int f && f % 2 == 1 && start.TryGetValue((f - 1) / 2,
                out int first))
            {
                string rest = m.Groups[3].Value;
                to = rest.EndsWith("relative_position_index", StringComparison.Ordinal) ? null
                    : BlockKey.Name(first + Int(m.Groups[2].Value), rest.Replace("mlp.0.", "mlp.fc1.", StringComparison.Ordinal).Replace("mlp.3.",
                        "mlp.fc2.", StringComparison.Ordinal));
            }
            else if (MergeName(name) is string merge) to = merge;
            if (to is not null) o[to] = t;
        }
        return o;
    }

    /// <summary><c>features.{2s+2}.reduction|norm.*</c> to <c>merges.{s}.*</c>, or null.</summary>
    private static string? MergeName(string name)
    {
        var parts = name.Split('.', 3);
        if (parts.Length == 3 && parts[0] == "features" && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int f)
            && f >= 2 && f % 2 == 0
            && (parts[2].StartsWith("reduction.", StringComparison.Ordinal) || parts[2].StartsWith("norm.", StringComparison.Ordinal)))
            return $"merges.{f / 2 - 1}.{parts[2]}";
        return null;
    }

    private static int Int(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1;
}
