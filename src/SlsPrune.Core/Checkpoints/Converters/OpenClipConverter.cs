using System.Globalization;
using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace SlsPrune.Core.Checkpoints.Converters;

/// <summary>
/// The image tower of an OpenAI CLIP or OpenCLIP ViT (<c>model.state_dict()</c>: every image tensor under
/// <c>visual.</c>; the text tower's tensors are left out) to timm's names: <c>conv1</c> (no bias) is the patch
/// projection, <c>class_embedding</c> [width] the class token, <c>positional_embedding</c> [tokens, width] the
/// position embedding, <c>ln_pre</c> the norm before the blocks (<c>norm_pre</c>), per block <c>ln_1</c>,
/// <c>attn.in_proj_weight</c> / <c>in_proj_bias</c> (query, key and value rows stacked, as timm's qkv),
/// <c>attn.out_proj</c>, <c>ln_2</c>, <c>mlp.c_fc</c>, <c>mlp.c_proj</c> (and OpenCLIP's LayerScale <c>ls_1</c>,
/// <c>ls_2</c>), <c>ln_post</c> the final norm and <c>proj</c> [width, embedding], transposed, a bias-free head whose
/// "classes" are the embedding's dimensions. LayerNorm eps is 1e-5; the MLP is QuickGELU as OpenAI trained it
/// (<c>--act gelu</c> for OpenCLIP models trained with GELU: the weights do not say).
/// </summary>
public sealed partial class OpenClipConverter : IStateDictConverter
{
    private const string Visual = "visual.";

    public const double LayerNormEps = 1e-5;

    private static readonly Dictionary<string, string> Top = new(StringComparer.Ordinal)
    {
        ["conv1.weight"] = "patch_embed.proj.weight",
        ["ln_pre.weight"] = "norm_pre.weight",
        ["ln_pre.bias"] = "norm_pre.bias",
        ["ln_post.weight"] = "norm.weight",
        ["ln_post.bias"] = "norm.bias",
    };

    private static readonly Dictionary<string, string> InBlock = new(StringComparer.Ordinal)
    {
        ["ln_1.weight"] = "norm1.weight",
        ["ln_1.bias"] = "norm1.bias",
        ["attn.in_proj_weight"] = "attn.qkv.weight",
        ["attn.in_proj_bias"] = "attn.qkv.bias",
        ["attn.out_proj.weight"] = "attn.proj.weight",
        ["attn.out_proj.bias"] = "attn.proj.bias",
        ["ls_1.gamma"] = "ls1.gamma",
        ["ln_2.weight"] = "norm2.weight",
        ["ln_2.bias"] = "norm2.bias",
        ["mlp.c_fc.weight"] = "mlp.fc1.weight",
        ["mlp.c_fc.bias"] = "mlp.fc1.bias",
        ["mlp.c_proj.weight"] = "mlp.fc2.weight",
        ["mlp.c_proj.bias"] = "mlp.fc2.bias",
        ["ls_2.gamma"] = "ls2.gamma",
    };

    [GeneratedRegex(@"^transformer\.resblocks\.(\d{1,6})\.(.+)$")]
    private static partial Regex Block();

    public string Name => "openai-clip";

    public bool Recognises(IReadOnlyCollection<string> names) =>
        names.Contains(Prefix(names) + Visual + "class_embedding") && names.Contains(Prefix(names) + Visual + "conv1.weight");

    public Dictionary<string, Tensor> Convert(IReadOnlyDictionary<string, Tensor> state, string source)
    {
        string prefix = Prefix(state.Keys) + Visual;
        var o = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, tensor) in state)
        {
            if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue;   // the text tower, logit_scale
            string name = key[prefix.Length..];
            Tensor t = tensor;
            string mapped;
            if (Top.TryGetValue(name, out var top)) mapped = top;
            else if (name == "class_embedding") (mapped, t) = ("cls_token", Rank(tensor, 1, key, source).reshape(1, 1, -1));
            else if (name == "positional_embedding") (mapped, t) = ("pos_embed", Rank(tensor, 2, key, source).unsqueeze(0));
            else if (name == "proj") (mapped, t) = ("head.weight", Rank(tensor, 2, key, source).t());
            else if (Block().Match(name) is { Success: true } m && InBlock.TryGetValue(m.Groups[2].Value, out var inner))
                mapped = BlockKey.Name(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), inner);
            else
                throw new SlsInputException(source, $"tensor '{key}' has no place in a CLIP ViT image tower (a ModifiedResNet, attention pooling "
                    + $"or another model's tensor is not supported)");
            if (!o.TryAdd(mapped, t)) throw new SlsInputException(source, $"tensor '{key}' is a second '{mapped}'");
        }
        return o;
    }

    /// <summary>CLIP's input normalisation (OpenAI's, which OpenCLIP keeps).</summary>
    private static readonly float[] Mean = [0.48145466f, 0.4578275f, 0.40821073f], Std = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>LayerNorm eps 1e-5, CLIP's mean and std, and QuickGELU (OpenAI's); <c>--act</c> overrides the activation.</summary>
    public ArchitectureHints Hints(CheckpointSource source) => new(LayerNormEps: LayerNormEps, Mean: Mean, Std: Std, Activation: "quick_gelu")
    {
        PreprocessingSource = "CLIP's normalisation (the openai-clip layout)",
    };

    private static Tensor Rank(Tensor t, int rank, string key, string source) => t.dim() == rank ? t
        : throw new SlsInputException(source, $"tensor '{key}' has shape [{string.Join(", ", t.shape)}], expected rank {rank}");

    /// <summary>DataParallel's <c>module.</c> when every name carries it.</summary>
    private static string Prefix(IEnumerable<string> names) =>
        names.Any() && names.All(n => n.StartsWith("module.", StringComparison.Ordinal)) ? "module." : "";
}
