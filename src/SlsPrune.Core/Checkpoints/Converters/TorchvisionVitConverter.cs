using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace SlsPrune.Core.Checkpoints.Converters;

/// <summary>
/// torchvision's ViT models (<c>vit_b_16()</c> and the rest, saved with <c>model.state_dict()</c>)
/// to timm's names. A pure renaming: the attention's <c>in_proj</c> already stacks query, key and value rows as
/// timm's qkv does, and the MLP is <c>mlp.0</c> / <c>mlp.3</c> (<c>mlp.linear_1</c> / <c>linear_2</c> in older
/// torchvision). The head is <c>heads.head</c>, with <c>heads.pre_logits</c> (Linear + tanh) when the model has a
/// representation layer. LayerNorm eps is 1e-6 as timm's; the head count is not in any shape (the variants table
/// or <c>--heads</c>). A tensor of no known role is refused by name, as is a convolutional stem.
/// </summary>
public sealed partial class TorchvisionVitConverter : IStateDictConverter
{
    private const string Wrapper = "module.";

    private static readonly Dictionary<string, string> Top = new(StringComparer.Ordinal)
    {
        ["class_token"] = "cls_token",
        ["conv_proj.weight"] = "patch_embed.proj.weight",
        ["conv_proj.bias"] = "patch_embed.proj.bias",
        ["encoder.pos_embedding"] = "pos_embed",
        ["encoder.ln.weight"] = "norm.weight",
        ["encoder.ln.bias"] = "norm.bias",
        ["heads.head.weight"] = "head.weight",
        ["heads.head.bias"] = "head.bias",
        ["heads.pre_logits.weight"] = "pre_logits.fc.weight",
        ["heads.pre_logits.bias"] = "pre_logits.fc.bias",
    };

    private static readonly Dictionary<string, string> InBlock = new(StringComparer.Ordinal)
    {
        ["ln_1.weight"] = "norm1.weight",
        ["ln_1.bias"] = "norm1.bias",
        ["self_attention.in_proj_weight"] = "attn.qkv.weight",
        ["self_attention.in_proj_bias"] = "attn.qkv.bias",
        ["self_attention.out_proj.weight"] = "attn.proj.weight",
        ["self_attention.out_proj.bias"] = "attn.proj.bias",
        ["ln_2.weight"] = "norm2.weight",
        ["ln_2.bias"] = "norm2.bias",
        ["mlp.0.weight"] = "mlp.fc1.weight",
        ["mlp.0.bias"] = "mlp.fc1.bias",
        ["mlp.3.weight"] = "mlp.fc2.weight",
        ["mlp.3.bias"] = "mlp.fc2.bias",
        ["mlp.linear_1.weight"] = "mlp.fc1.weight",
        ["mlp.linear_1.bias"] = "mlp.fc1.bias",
        ["mlp.linear_2.weight"] = "mlp.fc2.weight",
        ["mlp.linear_2.bias"] = "mlp.fc2.bias",
    };

    [GeneratedRegex(@"^encoder\.layers\.encoder_layer_(\d{1,6})\.(.+)$")]
    private static partial Regex Layer();

    public string Name => "torchvision";

    public bool Recognises(IReadOnlyCollection<string> names)
    {
        string prefix = Prefix(names);
        return names.Contains(prefix + "encoder.pos_embedding") && names.Contains(prefix + "class_token");
    }

    public Dictionary<string, Tensor> Convert(IReadOnlyDictionary<string, Tensor> state, string source)
    {
        string prefix = Prefix(state.Keys);
        var o = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, tensor) in state)
        {
            string name = key[prefix.Length..], mapped;
            if (Top.TryGetValue(name, out var top)) mapped = top;
            else if (Layer().Match(name) is { Success: true } m && InBlock.TryGetValue(m.Groups[2].Value, out var inner))
                mapped = BlockKey.Name(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), inner);
            else
                throw new SlsInputException(source, $"tensor '{key}' has no place in a torchvision ViT (a convolutional stem or another model's "
                    + $"tensor is not supported)");
            if (!o.TryAdd(mapped, tensor))
                throw new SlsInputException(source, $"tensor '{key}' is a second '{mapped}' (both the current and the legacy MLP names?)");
        }
        return o;
    }

    /// <summary>DataParallel's <c>module.</c> when every name carries it.</summary>
    private static string Prefix(IEnumerable<string> names) =>
        names.Any() && names.All(n => n.StartsWith(Wrapper, StringComparison.Ordinal)) ? Wrapper : "";
}
