using static TorchSharp.torch;

namespace SlsPrune.Core.Checkpoints.Converters;

/// <summary>timm's own names, as <c>model.state_dict()</c> saves them, possibly under a wrapper's prefix that
/// every name carries: DataParallel's <c>module.</c> or PEFT's <c>base_model.model.</c> (dropped). Recognises
/// any state dict, so it is the registry's last entry. DeiT-3's original LayerScale names (<c>gamma_1</c>,
/// <c>gamma_2</c>) become timm's (<c>ls1.gamma</c>, <c>ls2.gamma</c>).</summary>
public sealed partial class TimmConverter : IStateDictConverter
{
    /// <summary>DeiT-3's (and CaiT-style) LayerScale names, <c>blocks.{i}.gamma_1</c> / <c>gamma_2</c>: timm's <c>ls1.gamma</c> /
    /// <c>ls2.gamma</c>.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^blocks\.(\d{1,6})\.gamma_([12])$")]
    private static partial System.Text.RegularExpressions.Regex LayerScaleName();

    private static readonly string[] WrapperPrefixes = ["base_model.model.", "module."];

    public string Name => "timm";

    public bool Recognises(IReadOnlyCollection<string> names) => true;

    public Dictionary<string, Tensor> Convert(IReadOnlyDictionary<string, Tensor> state, string source)
    {
        int strip = WrapperPrefixes.FirstOrDefault(p => state.Count > 0 && state.Keys.All(n => n.StartsWith(p, StringComparison.Ordinal)))?.Length
            ?? 0;
        var o = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, t) in state)
        {
            string name = LayerScaleName().Replace(key[strip..], "blocks.$1.ls$2.gamma");
            if (!o.TryAdd(name, t)) throw new SlsInputException(source, $"tensor '{key}' is a second '{name}'");
        }
        return o;
    }
}
