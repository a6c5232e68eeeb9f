using static TorchSharp.torch;

namespace SlsPrune.Core.Checkpoints.Converters;

/// <summary>
/// Hugging Face's DINOv2 (<c>Dinov2Model</c> and <c>Dinov2WithRegistersModel</c>; no prefix) to timm's names:
/// query, key and value stacked into qkv, <c>attention.output.dense</c> is proj, <c>norm1</c> / <c>norm2</c> and
/// <c>mlp.fc1</c> / <c>fc2</c> keep their names, <c>layer_scale1.lambda1</c> / <c>layer_scale2.lambda1</c> are
/// LayerScale's <c>ls1.gamma</c> / <c>ls2.gamma</c>, <c>embeddings.register_tokens</c> the registers (which get no
/// position embedding; the class token does), <c>layernorm</c> the final norm. The training-only
/// <c>mask_token</c> is dropped. The folder's <c>config.json</c> gives the head count and LayerNorm eps (1e-6 where
/// it says nothing). <c>Dinov2ForImageClassification</c>'s classifier (reading the class token and the patch mean
/// together) and the SwiGLU MLP of the giant model are refused.
/// </summary>
public sealed class HuggingFaceDinov2Converter : IStateDictConverter
{
    /// <summary>Hugging Face's <c>Dinov2Config.layer_norm_eps</c> default.</summary>
    public const double DefaultLayerNormEps = 1e-6;

    private static readonly Dictionary<string, string> Top = new(StringComparer.Ordinal)
    {
        ["embeddings.cls_token"] = "cls_token",
        ["embeddings.register_tokens"] = "reg_token",
        ["embeddings.position_embeddings"] = "pos_embed",
        ["embeddings.patch_embeddings.projection.weight"] = "patch_embed.proj.weight",
        ["embeddings.patch_embeddings.projection.bias"] = "patch_embed.proj.bias",
        ["layernorm.weight"] = "norm.weight",
        ["layernorm.bias"] = "norm.bias",
    };

    private static readonly Dictionary<string, string> InLayer = new(StringComparer.Ordinal)
    {
        ["norm1"] = "norm1",
        ["attention.output.dense"] = "attn.proj",
        ["layer_scale1"] = "ls1",
        ["norm2"] = "norm2",
        ["mlp.fc1"] = "mlp.fc1",
        ["mlp.fc2"] = "mlp.fc2",
        ["layer_scale2"] = "ls2",
    };

    private static readonly IReadOnlySet<string> Dropped = new HashSet<string>(StringComparer.Ordinal) { "embeddings.mask_token" };

    public string Name => "huggingface-dinov2";

    public bool Recognises(IReadOnlyCollection<string> names) =>
        HuggingFaceVitConverter.Prefix(names) is string p && names.Contains(p + "encoder.layer.0.norm1.weight");

    public Dictionary<string, Tensor> Convert(IReadOnlyDictionary<string, Tensor> state, string source)
    {
        string prefix = HuggingFaceVitConverter.Prefix(state.Keys)
            ?? throw new SlsInputException(source, $"missing tensor '{HuggingFaceVitConverter.Projection}': not a Hugging Face DINOv2");
        if (state.Keys.Any(k => k.StartsWith("classifier.", StringComparison.Ordinal)))
            throw new SlsInputException(source, "Dinov2ForImageClassification's classifier reads the class token and the patch mean together, "
                + "which is not supported; use the Dinov2Model backbone with a PETL file");
        return HuggingFaceVitConverter.ConvertLayers(state, source, prefix, Top, InLayer, Dropped, head: null,
            key => new SlsInputException(source, $"tensor '{key}' has no place in a Hugging Face DINOv2 (a SwiGLU MLP or another model's tensor is "
                + $"not supported)"));
    }

    public ArchitectureHints Hints(CheckpointSource source) => HuggingFaceVitConverter.ReadHints(source, DefaultLayerNormEps);
}
