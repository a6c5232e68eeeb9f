using SlsPrune.Core.Data;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>Options of adaptive greedy layer pruning: the smallest depth to search to (<c>keep_blocks</c>, or as many
/// blocks as <c>match_index</c> keeps; default 1), retraining epochs per candidate, the fraction of the full model's
/// score to stay above, the constant learning rate, the splits, and where the retrained adapters go.</summary>
public sealed record AglpOptions
{
    [Setting("the smallest depth to search to")]
    public int? KeepBlocks { get; init; }

    [Setting("search down to as many blocks as this index keeps", IsPath = true)]
    public string? MatchIndex { get; init; }

    [Setting("retraining epochs per candidate")]
    public int AglpEpochs { get; init; } = 2;

    [Setting("stop when the best candidate scores under this fraction of the full model")]
    public double AglpFraction { get; init; } = 0.95;

    [Setting("constant learning rate of the brief retraining")]
    public double AglpLr { get; init; } = 1e-3;

    [Setting("the retrained adapters (default: beside the index, NAME.petl.safetensors)", IsPath = true)]
    public string? PetlOut { get; init; }

    [Setting("split candidates retrain on")]
    public string FitSplit { get; init; } = SplitNames.Train;

    [Setting("split candidates are scored on")]
    public string ScoreSplit { get; init; } = SplitNames.Val;
}
