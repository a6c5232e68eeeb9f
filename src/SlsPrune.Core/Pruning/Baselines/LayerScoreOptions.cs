using SlsPrune.Core.Data;
using SlsPrune.Core.Pruning.Sls;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>Options of the layer scorers (bi, cka): the alpha rule on cumulative importance, or a budget of blocks
/// (<c>keep_blocks</c>, or as many as <c>match_index</c> keeps).</summary>
public record LayerScoreOptions
{
    [Setting("threshold factor of the alpha rule (on cumulative importance for bi and cka)")]
    public double Alpha { get; init; } = SlsPolicy.DefaultAlpha;

    [Setting("keep this many blocks instead of the alpha rule")]
    public int? KeepBlocks { get; init; }

    [Setting("keep as many blocks as this index keeps", IsPath = true)]
    public string? MatchIndex { get; init; }
}

/// <summary>Options of the ridge probe: those of every layer scorer, and the splits it fits on and scores on.</summary>
public sealed record ProbeOptions : LayerScoreOptions
{
    [Setting("split the probes are fitted on")]
    public string FitSplit { get; init; } = SplitNames.Train;

    [Setting("split the probes are scored on")]
    public string ScoreSplit { get; init; } = SplitNames.Val;
}
