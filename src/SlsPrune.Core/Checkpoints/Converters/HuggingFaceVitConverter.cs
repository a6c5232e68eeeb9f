using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Checkpoints.Converters;

/// <summary>
/// Hugging Face's ViT (<c>ViTModel</c>, or <c>ViTForImageClassification</c> with its <c>vit.</c> prefix and
/// <c>classifier</c>) to timm's names: the separate query, key and value linears are stacked into qkv in that order
/// (a missing bias, <c>qkv_bias: false</c>, is zeros), <c>attention.output.dense</c> is proj,
/// <c>layernorm_before</c> / <c>layernorm_after</c> the two norms, <c>intermediate.dense</c> / <c>output.dense</c>
/// the MLP, <c>layernorm</c> the final norm and <c>classifier</c> the head. <c>ViTModel</c>'s pooler (a tanh layer
/// that the classifier never reads) and a mask token are dropped. The folder's <c>config.json</c> gives the head count,
/// the LayerNorm eps (1e-12 where it says nothing, the library's default) and the labels;
/// <c>preprocessor_config.json</c> the input mean and std.
/// </summary>
public sealed partial class HuggingFaceVitConverter : IStateDictConverter
{
    internal const string Projection = "embeddings.patch_embeddings.projection.weight";
    private static readonly string[] Qkv = ["query", "key", "value"];

    /// <summary>Hugging Face's <c>ViTConfig.layer_norm_eps</c> default.</summary>
    public const double DefaultLayerNormEps = 1e-12;

    private static readonly Dictionary<string, string> Top = new(StringComparer.Ordinal)
    {
        ["embeddings.cls_token"] = "cls_token",
        ["embeddings.position_embeddings"] = "pos_embed",
        ["embeddings.patch_embeddings.projection.weight"] = "patch_embed.proj.weight",
        ["embeddings.patch_embeddings.projection.bias"] = "patch_embed.proj.bias",
        ["layernorm.weight"] = "norm.weight",
        ["layernorm.bias"] = "norm.bias",
    };

    private static readonly Dictionary<string, string> InLayer = new(StringComparer.Ordinal)
    {
        ["layernorm_before"] = "norm1",
        ["attention.output.dense"] = "attn.proj",
        ["layernorm_after"] = "norm2",
        ["intermediate.dense"] = "mlp.fc1",
        ["output.dense"] = "mlp.fc2",
    };

    private static readonly IReadOnlySet<string> Dropped = new HashSet<string>(StringComparer.Ordinal)
    {
        "pooler.dense.weight", "pooler.dense.bias", "embeddings.mask_token",
    };

    [GeneratedRegex(@"^encoder\.layer\.(\d{1,6})\.(.+)\.(weight|bias|lambda1)$")]
    private static partial Regex Layer();

    public string Name => "huggingface-vit";

    public bool Recognises(IReadOnlyCollection<string> names) =>
        Prefix(names) is string p && names.Contains(p + "encoder.layer.0.layernorm_before.weight");

    public Dictionary<string, Tensor> Convert(IReadOnlyDictionary<string, Tensor> state, string source)
    {
        string prefix = Prefix(state.Keys) ?? throw new SlsInputException(source, $"missing tensor '{Projection}': not a Hugging Face ViT");
        return ConvertLayers(state, source, prefix, Top, InLayer, Dropped, "classifier.", key => Unknown(key, source));
    }

    /// <summary>A Hugging Face encoder (<c>embeddings</c>, <c>encoder.layer.{i}</c>) to timm's names: the names in
    /// <paramref name="top"/> and, per layer, <paramref name="inLayer"/> (module to timm module; a LayerScale's
    /// <c>lambda1</c> becomes <c>gamma</c>), query, key and value stacked into qkv, <paramref name="head"/>'s tensors
    /// (if any) to <c>head</c>, <paramref name="dropped"/> left out, anything else refused.</summary>
    internal static Dictionary<string, Tensor> ConvertLayers(IReadOnlyDictionary<string, Tensor> state, string source, string prefix,
        IReadOnlyDictionary<string, string> top, IReadOnlyDictionary<string, string> inLayer, IReadOnlySet<string> dropped, string? head,
            Func<string, Exception> unknown)
    {
        var o = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var qkv = new SortedDictionary<int, Dictionary<string, Tensor>>();
        void Add(string key, string mapped, Tensor t)
        {
            if (!o.TryAdd(mapped, t)) throw new SlsInputException(source, $"tensor '{key}' is a second '{mapped}'");
        }
        foreach (var (key, tensor) in state)
        {
            if (head is not null && key.StartsWith(head, StringComparison.Ordinal))
            {
                Add(key, "head." + key[head.Length..], tensor);
                continue;
            }
            if (!key.StartsWith(prefix, StringComparison.Ordinal)) throw unknown(key);
            string name = key[prefix.Length..];
            if (dropped.Contains(name)) continue;
            if (top.TryGetValue(name, out var t0))
            {
                Add(key, t0, tensor);
                continue;
            }
            var m = Layer().Match(name);
            if (!m.Success) throw unknown(key);
            int i = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            string module = m.Groups[2].Value, kind = m.Groups[3].Value;
            if (module.StartsWith("attention.attention.", StringComparison.Ordinal) && Qkv.Contains(module["attention.attention.".Length..])
                && kind != "lambda1")
            {
                if (!qkv.TryGetValue(i, out var parts)) qkv[i] = parts = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                parts[$"{module["attention.attention.".Length..]}.{kind}"] = tensor;
            }
            else if (inLayer.TryGetValue(module, out var mapped) && (kind == "lambda1") == mapped.StartsWith("ls", StringComparison.Ordinal))
                Add(key, BlockKey.Name(i, $"{mapped}.{(kind == "lambda1" ? "gamma" : kind)}"), tensor);
            else throw unknown(key);
        }
        foreach (var (i, parts) in qkv)
        {
            string Missing(string part) => $"{prefix}encoder.layer.{i}.attention.attention.{part}";
            var weights = Qkv.Select(n => parts.TryGetValue(n + ".weight", out var w) ? w
                : throw new SlsInputException(source, $"missing tensor '{Missing(n + ".weight")}'")).ToArray();
            if (weights.Any(w => w.dim() != 2 || !w.shape.SequenceEqual(weights[0].shape)))
                throw new SlsInputException(source, $"layer {i}'s query, key and value weights differ in shape or are not matrices");
            o[BlockKey.Name(i, "attn.qkv.weight")] = torch.cat(weights, 0);
            int biases = Qkv.Count(n => parts.ContainsKey(n + ".bias"));
            if (biases != 0 && biases != 3) throw new SlsInputException(source, $"layer {i} has a bias for only some of query, key and value");
            o[BlockKey.Name(i, "attn.qkv.bias")] = biases == 3
                ? torch.cat(Qkv.Select(n => parts[n + ".bias"].reshape(-1)).ToArray(), 0)
                : torch.zeros(3 * weights[0].shape[0], dtype: weights[0].dtype, device: weights[0].device);
        }
        return o;
    }

    public ArchitectureHints Hints(CheckpointSource source) => ReadHints(source, DefaultLayerNormEps);

    /// <summary>The most input channels a config may name (the preprocessor's InputSpec.MaxChannels; Checkpoints
    /// reads no Data): a mean or std is made per channel.</summary>
    private const int MaxChannels = 64;

    /// <summary>Heads, LayerNorm eps (<paramref name="defaultEps"/> where the config is silent), labels, mean and std
    /// of a Hugging Face folder; an MLP activation other than the exact GELU is refused.</summary>
    internal static ArchitectureHints ReadHints(CheckpointSource source, double defaultEps)
    {
        var config = source.Json("config.json");
        var pre = source.Json("preprocessor_config.json");
        string configFile = source.SideFiles.GetValueOrDefault("config.json") ?? source.Path;
        if (config?["hidden_act"] is JsonNode act && (act.GetValueKind() != JsonValueKind.String || act.GetValue<string>() != "gelu"))
            throw new SlsInputException(configFile, $"hidden_act {act.ToJsonString()} is not supported; the ViT's MLP uses the exact GELU "
                + $"(\"gelu\")");
        foreach (var (key, max) in Sizes) Size(config, key, max, configFile);
        int? heads = Integer(config, "num_attention_heads", configFile);
        if (heads is <= 0) throw new SlsInputException(configFile, $"num_attention_heads {heads} is not positive");
        if (config?["use_swiglu_ffn"] is JsonNode swiglu && swiglu.GetValueKind() == JsonValueKind.True)
            throw new SlsInputException(configFile, "use_swiglu_ffn is true; a SwiGLU MLP (DINOv2 giant) is not supported");
        double eps = Number(config, "layer_norm_eps", configFile) ?? defaultEps;
        if (!ArchitectureHints.IsLayerNormEps(eps))
            throw new SlsInputException(configFile, $"layer_norm_eps {eps.ToString("R", CultureInfo.InvariantCulture)} is not within (0, "
                + $"{ArchitectureHints.MaxLayerNormEps}]: a LayerNorm's epsilon is a small positive number (1e-12 to 1e-5 in practice)");
        int channels = Integer(config, "num_channels", configFile) ?? 3;
        if (channels is < 1 or > MaxChannels) throw new SlsInputException(configFile, $"num_channels {channels} is not within 1..{MaxChannels}");
        string preFile = source.SideFiles.GetValueOrDefault("preprocessor_config.json") ?? source.Path;
        var mean = PerChannel(pre, "image_mean", channels, preFile);
        var std = PerChannel(pre, "image_std", channels, preFile);
        if (std is not null && std.Any(s => !(s > 0))) throw new SlsInputException(preFile, "image_std has a value that is not positive");
        if (std is not null && std.FirstOrDefault(s => s < MinStd) is > 0 and var tiny)
            throw new SlsInputException(preFile, $"image_std {tiny.ToString("R", CultureInfo.InvariantCulture)} is too small to divide by (below "
                + $"{MinStd.ToString("R", CultureInfo.InvariantCulture)})");
        (mean, std) = Rescaled(pre, mean, std, channels, preFile);
        CheckProcessorSize(pre, config, preFile);
        return new ArchitectureHints(heads, eps, mean, std, Labels(config, configFile))
        {
            PreprocessingSource = mean is null && std is null ? null : Path.GetFileName(preFile),
            PatchSize = config?["patch_size"] is JsonNode p && p.GetValueKind() == JsonValueKind.Number ? Integer(config, "patch_size", configFile)
                : null,
            PatchSizeSource = configFile,
        };
    }

    /// <summary>The processor's steps as sls's pipeline runs them (pixels / 255, then (x - mean) / std): a
    /// <c>rescale_factor</c> other than 1/255, <c>do_rescale</c> false (pixels as they are) and <c>do_normalize</c> false
    /// (no mean and std) are folded into the mean and std, so the model sees what the processor would give it.</summary>
    private static (float[]? Mean, float[]? Std) Rescaled(JsonObject? pre, float[]? mean, float[]? std, int channels, string file)
    {
        if (pre is null) return (mean, std);
        bool Flag(string key)
        {
            if (pre[key] is not JsonNode n) return true;
            return n.GetValueKind() switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new SlsInputException(file, $"{key} is not true or false"),
            };
        }
        double factor = 1.0 / 255;
        if (Flag("do_rescale") && pre["rescale_factor"] is JsonNode r)
        {
            factor = r.GetValueKind() == JsonValueKind.Number ? r.GetValue<double>() : double.NaN;
            if (!(factor > 0) || !double.IsFinite(factor)) throw new SlsInputException(file,
                $"rescale_factor {r.ToJsonString()} is not a positive number");
        }
        else if (!Flag("do_rescale")) factor = 1;
        if (!Flag("do_normalize")) (mean, std) = (new float[channels], Enumerable.Repeat(1f, channels).ToArray());
        if (Math.Abs(factor * 255 - 1) < 1e-9) return (mean, std);
        // (p * factor - m) / s  ==  (p / 255 - m / (255 factor)) / (s / (255 factor))
        double k = 255 * factor;
        if (mean is not { } m || std is not { } s || m.Length != channels || s.Length != channels)
            throw new SlsInputException(file, $"a rescale_factor other than 1/255 needs image_mean and image_std for the {channels} channels");
        return (m.Select(v => (float)(v / k)).ToArray(), s.Select(v => (float)(v / k)).ToArray());
    }

    /// <summary>The processor's <c>size</c>: square (sls feeds square images), and the config's <c>image_size</c> where
    /// both are given; anything else would feed the model another input than the one it was trained on.</summary>
    private static void CheckProcessorSize(JsonObject? pre, JsonObject? config, string file)
    {
        if (pre?["size"] is not JsonNode size) return;
        int Side(JsonNode? n, string what) => n?.GetValueKind() == JsonValueKind.Number && n.GetValue<double>() is var d && d == Math.Floor(d)
            && d is >= 1 and <= 1 << 16
            ? (int)d : throw new SlsInputException(file, $"size {what} {n?.ToJsonString() ?? "null"} is not a size in pixels");
        int side;
        if (size is JsonObject o && o["height"] is not null && o["width"] is not null)
        {
            int h = Side(o["height"], "height"), w = Side(o["width"], "width");
            if (h != w) throw new SlsInputException(file, $"size is {h}x{w}; sls feeds square images (a non-square processor is not supported)");
            side = h;
        }
        else if (size is JsonObject e && e["shortest_edge"] is not null) side = Side(e["shortest_edge"], "shortest_edge");
        else if (size.GetValueKind() == JsonValueKind.Number) side = Side(size, "");
        else throw new SlsInputException(file, $"size {size.ToJsonString()} is neither {{height, width}}, {{shortest_edge}} nor a number");
        if (config?["image_size"] is JsonNode cs && cs.GetValueKind() == JsonValueKind.Number && cs.GetValue<double>() != side)
            throw new SlsInputException(file, $"size {side} differs from config.json's image_size {cs.ToJsonString()}; the model would be fed "
                + $"another input than it was trained on");
    }

    /// <summary>Labels in id order, from <c>id2label</c> (ids 0..n-1).</summary>
    private static string[]? Labels(JsonObject? config, string file)
    {
        if (config?["id2label"] is not JsonObject map) return null;
        var labels = new string[map.Count];
        foreach (var (id, label) in map)
        {
            if (!int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out int i) || i >= labels.Length || labels[i] is not null
                || label?.GetValueKind() != JsonValueKind.String)
                throw new SlsInputException(file, $"id2label is not a map of ids 0..{labels.Length - 1} to names (entry '{id}')");
            labels[i] = label.GetValue<string>();
        }
        return labels;
    }

    /// <summary>The sizes a Hugging Face ViT config states and the largest each may be: the shapes decide them, but a
    /// negative, fractional or absurd one means the file is not what it claims to be.</summary>
    private static readonly (string Key, int Max)[] Sizes = [
        ("hidden_size", 1 << 16), ("num_attention_heads", 1 << 12), ("num_hidden_layers", 1 << 12), ("intermediate_size", 1 << 20),
        ("image_size", 1 << 16), ("patch_size", 1 << 16), ("num_channels", 64),
    ];

    /// <summary>The smallest standard deviation the input is divided by.</summary>
    private const float MinStd = 1e-6f;

    /// <summary>A size (or a [height, width] pair of sizes) within 1..<paramref name="max"/>, when present.</summary>
    private static void Size(JsonObject? o, string key, int max, string file)
    {
        if (o?[key] is not JsonNode n) return;
        var values = n is JsonArray a && a.Count is 1 or 2 ? a.ToArray() : [n];
        foreach (var v in values)
        {
            if (v?.GetValueKind() != JsonValueKind.Number) throw new SlsInputException(file, $"{key} is not a number");
            double d = v.GetValue<double>();
            if (d != Math.Floor(d) || d < 1 || d > max)
                throw new SlsInputException(file, $"{key} {d.ToString("R", CultureInfo.InvariantCulture)} is not an integer within 1..{max}");
        }
    }

    private static double? Number(JsonObject? o, string key, string file)
    {
        if (o?[key] is not JsonNode n) return null;
        return n.GetValueKind() == JsonValueKind.Number ? n.GetValue<double>() : throw new SlsInputException(file, $"{key} is not a number");
    }

    private static int? Integer(JsonObject? o, string key, string file)
    {
        if (Number(o, key, file) is not double d) return null;
        return d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue ? (int)d : throw new SlsInputException(file, $"{key} {d} is not an integer");
    }

    /// <summary>A number for every channel, or one number for all.</summary>
    private static float[]? PerChannel(JsonObject? o, string key, int channels, string file)
    {
        if (o?[key] is not JsonNode n) return null;
        if (n.GetValueKind() == JsonValueKind.Number) return Enumerable.Repeat((float)n.GetValue<double>(), channels).ToArray();
        if (n is JsonArray a && a.Count == channels && a.All(x => x?.GetValueKind() == JsonValueKind.Number))
        {
            var values = a.Select(x => (float)x!.GetValue<double>()).ToArray();
            if (values.All(float.IsFinite)) return values;
        }
        throw new SlsInputException(file, $"{key} is not {channels} finite numbers");
    }

    private static SlsInputException Unknown(string key, string source) =>
        new(source, $"tensor '{key}' has no place in a Hugging Face ViT (a DeiT distillation token, a DINOv2 or another model's tensor is not "
            + $"supported)");

    /// <summary>What every name of the backbone starts with: nothing (<c>ViTModel</c>) or <c>vit.</c>
    /// (<c>ViTForImageClassification</c>); null when there is no patch projection.</summary>
    internal static string? Prefix(IEnumerable<string> names)
    {
        string? p = names.FirstOrDefault(n => n.EndsWith(Projection, StringComparison.Ordinal))?[..^Projection.Length];
        return p is null || p.Length == 0 || p.EndsWith('.') ? p : null;
    }
}
