namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>Options of adaptive greedy layer pruning: the smallest depth to search to (<c>keep_blocks</c>, or as many
/// blocks as <c>match_index</c> keeps; default 1), retraining epochs per candidate, the fraction of the full model's
/// score to stay above, the constant learning rate, the splits, and where the retrained adapters go.</summary>
public sealed record AglpOptions
{
    public int? KeepBlocks { get; init; }

    public string? MatchIndex { get; init; }

    public int AglpEpochs { get; init; } = 2;

    public double AglpFraction { get; init; } = 0.95;

    public double AglpLr { get; init; } = 1e-3;

    public string? PetlOut { get; init; }

    public string FitSplit { get; init; } = "train800";

    public string ScoreSplit { get; init; } = "val200";
}
