namespace SlsPrune.Core.Checkpoints;

/// <summary>Decoders for the 8-bit float formats safetensors defines (OCP FP8 E4M3FN and E5M2, and E8M0).</summary>
public static class Float8
{
    public static float Decode(byte b, TensorDType type) => type switch
    {
        TensorDType.F8E4M3 => DecodeE4M3(b),
        TensorDType.F8E5M2 => DecodeE5M2(b),
        TensorDType.F8E8M0 => b == 0xFF ? float.NaN : MathF.ScaleB(1f, b - 127),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    // E4M3FN: bias 7, no infinities, S.1111.111 is NaN.
    private static float DecodeE4M3(byte b)
    {
        float sign = (b & 0x80) != 0 ? -1f : 1f;
        int exp = (b >> 3) & 0xF, man = b & 0x7;
        if (exp == 0xF && man == 0x7) return float.NaN;
        if (exp == 0) return sign * MathF.ScaleB(man / 8f, -6);
        return sign * MathF.ScaleB(1f + man / 8f, exp - 7);
    }

    // E5M2: IEEE-like, bias 15, with infinities and NaNs.
    private static float DecodeE5M2(byte b)
    {
        float sign = (b & 0x80) != 0 ? -1f : 1f;
        int exp = (b >> 2) & 0x1F, man = b & 0x3;
        if (exp == 0x1F) return man == 0 ? sign * float.PositiveInfinity : float.NaN;
        if (exp == 0) return sign * MathF.ScaleB(man / 4f, -14);
        return sign * MathF.ScaleB(1f + man / 4f, exp - 15);
    }
}
