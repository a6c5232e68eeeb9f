using TorchSharp;

namespace SlsPrune.Core.Runtime;

/// <summary>Numeric precision of inference (<c>--precision</c>): float32, or the model's weights and activations
/// in bfloat16 / float16. The kernels accumulate LayerNorm, softmax and matrix products in float32 as
/// PyTorch does for these types; what leaves the model (cls tokens, logits) is read back as float32.</summary>
public enum Precision { Fp32, Bf16, Fp16 }

public static class Precisions
{
    public static readonly string[] Choices = ["fp32", "bf16", "fp16"];

    /// <exception cref="SlsInputException">for a name not in <see cref="Choices"/>.</exception>
    public static Precision Parse(string name) => name.ToLowerInvariant() switch
    {
        "fp32" or "float32" => Precision.Fp32,
        "bf16" or "bfloat16" => Precision.Bf16,
        "fp16" or "float16" or "half" => Precision.Fp16,
        _ => throw new SlsInputException("--precision", $"unknown precision '{name}' (expected fp32, bf16 or fp16)"),
    };

    public static string Name(this Precision p) => Choices[(int)p];

    public static torch.ScalarType ScalarType(this Precision p) => p switch
    {
        Precision.Bf16 => torch.ScalarType.BFloat16,
        Precision.Fp16 => torch.ScalarType.Float16,
        _ => torch.ScalarType.Float32,
    };
}
