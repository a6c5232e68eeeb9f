using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Features;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary><c>--method probe</c>: per layer, a ridge probe (<see cref="RidgeProbe"/>) fitted on one split and
/// scored on another.</summary>
public sealed class ProbeMethod : LayerScoringMethod<ProbeOptions>
{
    public override string Name => "probe";

    public override string Description => "per-layer ridge linear-probe accuracy";

    protected override string Metric => "ridge-probe-accuracy";

    protected override bool PerBlock => false;

    protected override double[] Score(PruneContext ctx, ProbeOptions o)
    {
        var model = ctx.Model.Model;
        var pre = Preprocessor.For(model.Input);
        int batch = ctx.Options.Model.BatchSize;
        var fit = ctx.Task.Read(o.FitSplit, model.NumClasses);
        var score = ctx.Task.Read(o.ScoreSplit, model.NumClasses);
        ctx.Progress?.Start(PruneStage.Features, $"cls features ({o.FitSplit} + {o.ScoreSplit})", fit.Count + score.Count);
        using var ff = LayerFeatureExtractor.Extract(model, fit, pre, batch, ctx.Device, ctx.Advance(PruneStage.Features),
            cancellationToken: ctx.Cancellation);
        using var fs = LayerFeatureExtractor.Extract(model, score, pre, batch, ctx.Device, ctx.Advance(PruneStage.Features, fit.Count),
            cancellationToken: ctx.Cancellation);
        ctx.Progress?.Complete(PruneStage.Features);
        ctx.Progress?.Start(PruneStage.Scoring, "ridge probe per layer", ff.Layers);
        var scores = new double[ff.Layers];
        for (int l = 0; l < ff.Layers; l++)
        {
            ctx.Cancellation.ThrowIfCancellationRequested();
            using var a = ff.Features[l];
            using var b = fs.Features[l];
            scores[l] = RidgeProbe.Accuracy(a, ff.Labels, b, fs.Labels, model.NumClasses);
            ctx.Progress?.Advance(PruneStage.Scoring, l + 1, $"layer {l + 1}: {scores[l]:P1}");
        }
        ctx.Progress?.Complete(PruneStage.Scoring);
        return scores;
    }
}
