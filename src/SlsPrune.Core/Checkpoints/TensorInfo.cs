namespace SlsPrune.Core.Checkpoints;

/// <summary>What a checkpoint says about one tensor before its data is read.</summary>
public sealed record TensorInfo(string Name, TensorDType DType, long[] Shape)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    public long ByteCount => ElementCount * TensorDTypes.ElementSize(DType);

    /// <summary>Whether the byte count fits a long (at 8 bytes an element, the widest): shapes from a file are
    /// checked with this before any product of them is used.</summary>
    public static bool SizeFits(IReadOnlyList<long> shape)
    {
        if (shape.Any(d => d < 0)) return false;
        if (shape.Contains(0)) return true;
        long count = 8;
        foreach (long d in shape)
            if (count > long.MaxValue / d) return false;
            else count *= d;
        return true;
    }
}
