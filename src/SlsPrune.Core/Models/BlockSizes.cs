namespace SlsPrune.Core.Models;

/// <summary>The full (unpruned) sizes of one block that width pruning cuts: its residual width (never cut), its
/// attention heads of <see cref="HeadDim"/> dimensions each (q, k and v rows of qkv, columns of proj), its MLP
/// hidden units (rows of fc1, columns of fc2) and the parameters each head owns beside those
/// (<paramref name="HeadTable"/>: a Swin head's column of the relative position bias table, (2w-1)^2 entries; 0 on a ViT).</summary>
public readonly record struct BlockSizes(int Width, int Heads, int MlpHidden, int HeadTable = 0)
{
    public int HeadDim => Width / Heads;

    /// <summary>What the block keeps under a plan's <paramref name="width"/> (null: everything).</summary>
    public KeptSizes Keep(BlockWidth? width) =>
        new(width?.Heads.Count ?? Heads, width?.HeadDims?.Count ?? HeadDim, width?.MlpUnits.Count ?? MlpHidden);
}

/// <summary>The heads a (possibly width-pruned) block keeps, the dimensions each keeps, and its MLP units.</summary>
public readonly record struct KeptSizes(int Heads, int HeadDim, int MlpUnits)
{
    /// <summary>The attention's inner width: rows of q (and of k, v), columns of proj.</summary>
    public int Inner => Heads * HeadDim;
}
