using SlsPrune.Core.Indexing;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>The section of the layer scorers (bi, cka, probe): every layer's score, the alpha of the rule where the rule
/// decided (absent when a block budget did), and the threshold it compared with.</summary>
public sealed record LayerScoreSection : IIndexSection
{
    /// <summary>Null when a budget (<c>keep_blocks</c>, <c>match_index</c>) decided, not the alpha rule.</summary>
    public double? Alpha { get; init; }

    public double? Threshold { get; init; }

    public required IReadOnlyList<double> Scores { get; init; }

    public SectionTable? Table(PruningIndex index)
    {
        // bi and cka score each block; their alpha rule compares the cumulative importance up to each layer with the
        // threshold (LayerDecision), so that is the column shown beside it, labelled
        bool cumulative = index.Decision.StartsWith(LayerDecision.CumulativeReason, StringComparison.Ordinal);
        return LayerTable.Build(index, LayerTable.All(index), l => Scores[l - 1], Threshold,
            compared: cumulative ? ("cumulative (compared)", LayerDecision.Cumulative(Scores)) : null);
    }

    public LayerCurve? Curve(PruningIndex index) => new(Scores, Threshold, Alpha);
}

/// <summary>Reads, writes and checks <see cref="LayerScoreSection"/>.</summary>
public sealed class LayerScoreSectionFormat : IndexSectionFormat<LayerScoreSection>
{
    public override IReadOnlyCollection<string> LegacyFields => ["alpha", "threshold", "scores"];

    protected override void Check(LayerScoreSection s, SectionSource at)
    {
        at.Need(s.Scores, "scores");
        if (s.Scores.Count != at.Index.Depth) throw at.Refuse($"field '{at.Field("scores")}' has {s.Scores.Count} scores for depth {at.Index.Depth}");
    }
}
