using TorchSharp;

namespace SlsPrune.Core.Checkpoints;

/// <summary>Element types found in checkpoint files (the safetensors set, which covers PyTorch and NumPy's).</summary>
public enum TensorDType
{
    Bool, U8, I8, I16, U16, I32, U32, I64, U64, F16, BF16, F32, F64, F8E4M3, F8E5M2, F8E8M0,
}

/// <summary>Sizes, names and the torch type each <see cref="TensorDType"/> is read into.</summary>
public static class TensorDTypes
{
    public static int ElementSize(TensorDType t) => t switch
    {
        TensorDType.Bool or TensorDType.U8 or TensorDType.I8 or TensorDType.F8E4M3 or TensorDType.F8E5M2 or TensorDType.F8E8M0 => 1,
        TensorDType.I16 or TensorDType.U16 or TensorDType.F16 or TensorDType.BF16 => 2,
        TensorDType.I32 or TensorDType.U32 or TensorDType.F32 => 4,
        TensorDType.I64 or TensorDType.U64 or TensorDType.F64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>The safetensors spelling (F32, BF16, F8_E4M3, ...).</summary>
    public static string SafetensorsName(TensorDType t) => t switch
    {
        TensorDType.Bool => "BOOL",
        TensorDType.F8E4M3 => "F8_E4M3",
        TensorDType.F8E5M2 => "F8_E5M2",
        TensorDType.F8E8M0 => "F8_E8M0",
        _ => t.ToString(),
    };

    public static bool TryParseSafetensors(string name, out TensorDType t)
    {
        foreach (var v in Enum.GetValues<TensorDType>())
            if (SafetensorsName(v) == name) { t = v; return true; }
        t = default;
        return false;
    }

    /// <summary>The torch type a tensor of this type is materialised as. Types libtorch lacks are widened
    /// without loss: U16 to int32, U32 to int64, U64 to int64 (values above 2^63-1 are refused), and the
    /// 8-bit floats to float32.</summary>
    public static torch.ScalarType TorchType(TensorDType t) => t switch
    {
        TensorDType.Bool => torch.ScalarType.Bool,
        TensorDType.U8 => torch.ScalarType.Byte,
        TensorDType.I8 => torch.ScalarType.Int8,
        TensorDType.I16 => torch.ScalarType.Int16,
        TensorDType.U16 or TensorDType.I32 => torch.ScalarType.Int32,
        TensorDType.U32 or TensorDType.I64 or TensorDType.U64 => torch.ScalarType.Int64,
        TensorDType.F16 => torch.ScalarType.Float16,
        TensorDType.BF16 => torch.ScalarType.BFloat16,
        TensorDType.F32 or TensorDType.F8E4M3 or TensorDType.F8E5M2 or TensorDType.F8E8M0 => torch.ScalarType.Float32,
        TensorDType.F64 => torch.ScalarType.Float64,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>The checkpoint type of a torch tensor (for the writer).</summary>
    public static TensorDType FromTorch(torch.ScalarType t) => t switch
    {
        torch.ScalarType.Bool => TensorDType.Bool,
        torch.ScalarType.Byte => TensorDType.U8,
        torch.ScalarType.Int8 => TensorDType.I8,
        torch.ScalarType.Int16 => TensorDType.I16,
        torch.ScalarType.Int32 => TensorDType.I32,
        torch.ScalarType.Int64 => TensorDType.I64,
        torch.ScalarType.Float16 => TensorDType.F16,
        torch.ScalarType.BFloat16 => TensorDType.BF16,
        torch.ScalarType.Float32 => TensorDType.F32,
        torch.ScalarType.Float64 => TensorDType.F64,
        _ => throw new NotSupportedException($"tensor type {t} cannot be written"),
    };
}
