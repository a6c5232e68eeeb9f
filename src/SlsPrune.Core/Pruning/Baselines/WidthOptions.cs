namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>What width pruning removes inside a block: whole heads, or the same dimensions in every head.</summary>
public enum WidthUnit { Heads, Dims }

/// <summary>Options of width pruning: the share of heads (or head dims) and MLP units pruned in every block (given,
/// or matched to another index's budget), the importance criterion, the unit, and Taylor's calibration batches.</summary>
public record WidthOptions
{
    [Setting("fraction of heads and MLP units pruned in every block")]
    public double? Ratio { get; init; }

    [Setting("prune the share of block parameters this index drops", IsPath = true)]
    public string? MatchIndex { get; init; }

    [Setting("how channels are ranked: taylor, l1, l2 or random (spa: l1 or l2 of W + s B A)")]
    public WidthCriterion Importance { get; init; } = WidthCriterion.Taylor;

    [Setting("prune whole heads, or dimensions inside every head")]
    public WidthUnit WidthUnit { get; init; } = WidthUnit.Heads;

    [Setting("taylor: calibration batches to accumulate gradients over")]
    public int TaylorBatches { get; init; } = 4;
}

/// <summary>Options of structured pruning adapters: width pruning by the magnitude of W + s B A (l1 by default),
/// and where the masked adapters go.</summary>
public sealed record SpaOptions : WidthOptions
{
    public SpaOptions() => Importance = WidthCriterion.L1;

    [Setting("the masked adapters (default: beside the index, NAME.petl.safetensors)", IsPath = true)]
    public string? PetlOut { get; init; }
}
