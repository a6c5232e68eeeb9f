namespace SlsPrune.Core.Checkpoints;

/// <summary>What a checkpoint says about one tensor before its data is read.</summary>
public sealed record TensorInfo(string Name, TensorDType DType, long[] Shape)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    public long ByteCount => ElementCount * TensorDTypes.ElementSize(DType);
}
