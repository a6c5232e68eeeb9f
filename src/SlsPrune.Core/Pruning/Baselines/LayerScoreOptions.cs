using SlsPrune.Core.Pruning.Sls;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>Options of the layer scorers (bi, cka): the alpha rule on cumulative importance, or a budget of blocks
/// (<c>keep_blocks</c>, or as many as <c>match_index</c> keeps).</summary>
public record LayerScoreOptions
{
    public double Alpha { get; init; } = SlsPolicy.DefaultAlpha;

    public int? KeepBlocks { get; init; }

    public string? MatchIndex { get; init; }
}

/// <summary>Options of the ridge probe: those of every layer scorer, and the splits it fits on and scores on.</summary>
public sealed record ProbeOptions : LayerScoreOptions
{
    public string FitSplit { get; init; } = "train800";

    public string ScoreSplit { get; init; } = "val200";
}
