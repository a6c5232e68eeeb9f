namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>What width pruning removes inside a block: whole heads, or the same dimensions in every head.</summary>
public enum WidthUnit { Heads, Dims }

/// <summary>Options of width pruning: the share of heads (or head dims) and MLP units pruned in every block (given,
/// or matched to another index's budget), the importance criterion, the unit, and Taylor's calibration batches.</summary>
public record WidthOptions
{
    public double? Ratio { get; init; }

    public string? MatchIndex { get; init; }

    public WidthCriterion Importance { get; init; } = WidthCriterion.Taylor;

    public WidthUnit WidthUnit { get; init; } = WidthUnit.Heads;

    public int TaylorBatches { get; init; } = 4;
}

/// <summary>Options of structured pruning adapters: width pruning by the magnitude of W + s B A (l1 by default),
/// and where the masked adapters go.</summary>
public sealed record SpaOptions : WidthOptions
{
    public SpaOptions() => Importance = WidthCriterion.L1;

    public string? PetlOut { get; init; }
}
