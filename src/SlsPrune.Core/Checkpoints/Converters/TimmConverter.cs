using static TorchSharp.torch;

namespace SlsPrune.Core.Checkpoints.Converters;

/// <summary>timm's own names, as <c>model.state_dict()</c> saves them, possibly under a wrapper's prefix that
/// every name carries: DataParallel's <c>module.</c> or PEFT's <c>base_model.model.</c> (dropped). Recognises
/// any state dict, so it is the registry's last entry.</summary>
public sealed class TimmConverter : IStateDictConverter
{
    private static readonly string[] WrapperPrefixes = ["base_model.model.", "module."];

    public string Name => "timm";

    public bool Recognises(IReadOnlyCollection<string> names) => true;

    public Dictionary<string, Tensor> Convert(IReadOnlyDictionary<string, Tensor> state, string source)
    {
        int strip = WrapperPrefixes.FirstOrDefault(p => state.Count > 0 && state.Keys.All(n => n.StartsWith(p, StringComparison.Ordinal)))?.Length ?? 0;
        return state.ToDictionary(kv => kv.Key[strip..], kv => kv.Value, StringComparer.Ordinal);
    }
}
