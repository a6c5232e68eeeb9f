using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Checkpoints.Converters;

/// <summary>
/// Google / big_vision ViT <c>.npz</c> names and layouts to timm's, the mapping timm's <c>_load_weights</c>
/// applies: Flax HWIO conv kernel to OIHW, dense kernels transposed, per-head query/key/value kernels
/// [d, heads, dh] fused into qkv [3d, d], the out kernel [heads, dh, d] to [d, d], LayerNorm scale to weight.
/// A pure dictionary-to-dictionary function; tensors it does not change are passed through.
/// </summary>
public sealed class GoogleNpzConverter : IStateDictConverter
{
    private static readonly string[] Qkv = ["query", "key", "value"];

    public string Name => "google-npz";

    public bool Recognises(IReadOnlyCollection<string> names) => names.Any(n => n.EndsWith("embedding/kernel", StringComparison.Ordinal));

    public Dictionary<string, Tensor> Convert(IReadOnlyDictionary<string, Tensor> state, string source)
    {
        var w = state;
        string prefix = w.ContainsKey("opt/target/embedding/kernel") ? "opt/target/" : "";
        Tensor Get(string key) => w.TryGetValue(prefix + key, out var t) ? t
            : throw new SlsInputException(source, $"missing array '{prefix + key}' of a Google ViT checkpoint");

        var o = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["patch_embed.proj.weight"] = Get("embedding/kernel").permute(3, 2, 0, 1).contiguous(),
            ["patch_embed.proj.bias"] = Get("embedding/bias"),
            ["cls_token"] = Get("cls"),
            ["pos_embed"] = Get("Transformer/posembed_input/pos_embedding"),
            ["norm.weight"] = Get("Transformer/encoder_norm/scale"),
            ["norm.bias"] = Get("Transformer/encoder_norm/bias"),
        };
        if (w.ContainsKey(prefix + "head/kernel"))
        {
            o["head.weight"] = Dense(Get("head/kernel"));
            o["head.bias"] = Get("head/bias");
        }
        if (w.ContainsKey(prefix + "pre_logits/kernel"))
        {
            o["pre_logits.fc.weight"] = Dense(Get("pre_logits/kernel"));
            o["pre_logits.fc.bias"] = Get("pre_logits/bias");
        }
        for (int i = 0; w.ContainsKey($"{prefix}Transformer/encoderblock_{i}/LayerNorm_0/scale"); i++)
        {
            string b = $"Transformer/encoderblock_{i}/", mha = b + "MultiHeadDotProductAttention_1/";
            string T(string tail) => BlockKey.Name(i, tail);
            o[T("norm1.weight")] = Get(b + "LayerNorm_0/scale");
            o[T("norm1.bias")] = Get(b + "LayerNorm_0/bias");
            o[T("attn.qkv.weight")] = torch.cat(Qkv.Select(n => Get($"{mha}{n}/kernel").flatten(1).t()).ToArray(), 0);
            o[T("attn.qkv.bias")] = torch.cat(Qkv.Select(n => Get($"{mha}{n}/bias").reshape(-1)).ToArray(), 0);
            o[T("attn.proj.weight")] = Get(mha + "out/kernel").permute(2, 0, 1).flatten(1).contiguous();
            o[T("attn.proj.bias")] = Get(mha + "out/bias");
            o[T("norm2.weight")] = Get(b + "LayerNorm_2/scale");
            o[T("norm2.bias")] = Get(b + "LayerNorm_2/bias");
            for (int r = 0; r < 2; r++)
            {
                o[T($"mlp.fc{r + 1}.weight")] = Dense(Get($"{b}MlpBlock_3/Dense_{r}/kernel"));
                o[T($"mlp.fc{r + 1}.bias")] = Get($"{b}MlpBlock_3/Dense_{r}/bias");
            }
        }
        return o;
    }

    private static Tensor Dense(Tensor kernel) => kernel.t().contiguous();
}
