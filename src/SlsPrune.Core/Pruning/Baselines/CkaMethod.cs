using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Features;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary><c>--method cka</c>: 1 - linear CKA of consecutive blocks' features (<see cref="LinearCka"/>).</summary>
public sealed class CkaMethod : LayerScoringMethod<LayerScoreOptions>
{
    public override string Name => "cka";

    public override string Description => "1 - linear CKA of consecutive blocks' features";

    protected override string Metric => "1-linear-cka";

    protected override bool PerBlock => true;

    protected override double[] Score(PruneContext ctx, LayerScoreOptions o)
    {
        var model = ctx.Model.Model;
        ctx.Progress?.Start(PruneStage.Features, $"cls features ({ctx.Items.Count} images)", ctx.Items.Count);
        using var f = LayerFeatureExtractor.Extract(model, ctx.Items, Preprocessor.For(model.Input), ctx.Options.Model.BatchSize, ctx.Device,
            ctx.Advance(PruneStage.Features), cancellationToken: ctx.Cancellation);
        ctx.Progress?.Complete(PruneStage.Features);
        return LinearCka.BlockImportance(f.Features);
    }
}
