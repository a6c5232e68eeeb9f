namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>A method that scores every layer and keeps blocks by the alpha rule (on cumulative importance for
/// per-block scores) or by a budget (<see cref="LayerDecision"/>).</summary>
public abstract class LayerScoringMethod<TOptions> : PruneMethod<TOptions> where TOptions : LayerScoreOptions, new()
{
    /// <summary>The metric's name in the index.</summary>
    protected abstract string Metric { get; }

    /// <summary>Whether a score is one block's importance (summed for the alpha rule) rather than a layer's quality.</summary>
    protected abstract bool PerBlock { get; }

    protected abstract double[] Score(PruneContext ctx, TOptions o);

    public override Indexing.IIndexSectionFormat Section { get; } = new LayerScoreSectionFormat();

    protected override IEnumerable<string?> Inputs(TOptions o) => [o.MatchIndex];

    protected override IEnumerable<string> Warnings(TOptions o, int calibrationImages) =>
        o.KeepBlocks is null && o.MatchIndex is null && Sls.SlsPolicy.AlphaAboveOne([o.Alpha]) is { } w ? [w] : [];

    protected override void Validate(TOptions o)
    {
        if (!(o.Alpha > 0) || double.IsInfinity(o.Alpha)) throw new SlsInputException("--alpha", $"alpha must be positive (got {o.Alpha})");
        if (o.KeepBlocks is < 1) throw new SlsInputException("--keep-blocks", $"must be at least 1 (got {o.KeepBlocks})");
        if (o.KeepBlocks is not null && o.MatchIndex is not null) throw new SlsInputException("--keep-blocks",
            "give --keep-blocks or --match-index, not both");
    }

    protected sealed override MethodOutput Run(PruneContext ctx, TOptions o)
    {
        var scores = Score(ctx, o);
        int? budget = ctx.BlockBudget(o.KeepBlocks, o.MatchIndex);
        var choice = LayerDecision.Choose(scores, PerBlock, o.Alpha, budget);
        return new MethodOutput(ctx.Index with
        {
            Metric = Metric,
            KeptBlocks = choice.Kept,
            Decision = choice.Reason,
            Section = new LayerScoreSection { Alpha = budget is null ? o.Alpha : null, Threshold = choice.Threshold, Scores = scores },
        });
    }
}
