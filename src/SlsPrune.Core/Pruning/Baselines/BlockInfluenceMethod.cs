using SlsPrune.Core.Data.Images;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary><c>--method bi</c>: block influence (<see cref="BlockInfluence"/>).</summary>
public sealed class BlockInfluenceMethod : LayerScoringMethod<LayerScoreOptions>
{
    public override string Name => "bi";

    public override string Description => "block influence: 1 - cos of each block's input and output tokens";

    protected override string Metric => "block-influence";

    protected override bool PerBlock => true;

    protected override double[] Score(PruneContext ctx, LayerScoreOptions o)
    {
        var model = ctx.Model.Model;
        ctx.Progress?.Start(PruneStage.Features, $"block influence ({ctx.Items.Count} images)", ctx.Items.Count);
        var scores = BlockInfluence.Measure(model, ctx.Items, Preprocessor.For(model.Input), ctx.Options.Model.BatchSize, ctx.Device,
            ctx.Advance(PruneStage.Features), ctx.Cancellation);
        ctx.Progress?.Complete(PruneStage.Features);
        return scores;
    }
}
