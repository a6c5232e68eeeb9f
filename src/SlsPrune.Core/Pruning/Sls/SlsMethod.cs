using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Features;
using SlsPrune.Core.Fem;
using SlsPrune.Core.Fem.Tsne;

namespace SlsPrune.Core.Pruning.Sls;

/// <summary>SLS (the paper): one pass over the calibration split for every block's feature, the FEM (t-SNE of all
/// layers at once, min-max scaling, the metric), the alpha rule, and the index.</summary>
public sealed class SlsMethod : PruneMethod<SlsOptions>
{
    public override string Name => "sls";

    public override string Description => "t-SNE + silhouette of every layer's feature, the alpha rule (the SLS paper)";

    protected override MethodOutput Run(PruneContext ctx, SlsOptions o)
    {
        var items = ctx.Items;
        var model = ctx.Model.Model;
        string list = Path.Combine(ctx.Task.Root, ctx.Options.Split + ".txt");
        int classes = ctx.Index.Calibration.Classes;
        if (!(o.Alpha > 0)) throw new SlsInputException("--alpha", $"alpha must be positive (got {o.Alpha})");
        if (o.Plots is not null) OutputPath.CheckFolder(o.Plots, "--plots");
        if (o.FeaturesOut is not null) OutputPath.CheckFile(o.FeaturesOut, "--features-out", ctx.Options.Model.Backbone, ctx.Options.Model.Petl, ctx.Options.Out);
        if (classes < 2)
            throw new SlsInputException(list, $"calibration split has {classes} class; SLS scores how well layers separate classes and needs at least 2");
        if (items.Count - 1 < classes)
            throw new SlsInputException(list, $"calibration split has {items.Count} images for {classes} classes; the silhouette needs more images than classes");
        if (o.Perplexity >= items.Count)
            throw new SlsInputException(list, $"calibration split has {items.Count} images; t-SNE perplexity {o.Perplexity} must be less than that (use a larger split or --perplexity)");

        ctx.Progress?.Start(PruneStage.Features, $"features ({items.Count} images, {model.Depth} blocks)", items.Count);
        using var features = LayerFeatureExtractor.Extract(model, items, Preprocessor.For(model.Input), ctx.Options.Model.BatchSize, ctx.Device,
            ctx.Advance(PruneStage.Features), ctx.Cancellation);
        ctx.Progress?.Complete(PruneStage.Features);
        string? featuresPath = null;
        if (o.FeaturesOut is not null)
        {
            features.Save(o.FeaturesOut, new Dictionary<string, string> { ["task"] = ctx.Task.Name, ["split"] = ctx.Options.Split });
            featuresPath = Path.GetFullPath(o.FeaturesOut);
        }

        var tsne = new TsneOptions { Perplexity = o.Perplexity, Seed = ctx.Options.Seed };
        ctx.Progress?.Start(PruneStage.Tsne, $"t-SNE ({features.Layers} layers x {features.Count} points)", tsne.MaxIter);
        FemResult fem;
        try
        {
            fem = FeatureEvaluation.Score(features.Features, features.Labels, o.Metric, tsne, ctx.Device,
                new Runtime.Callback<int>(i => { ctx.Cancellation.ThrowIfCancellationRequested(); ctx.Progress?.Advance(PruneStage.Tsne, i, $"iteration {i}"); }),
                new Runtime.Callback<(int Layer, double Score)>(s =>
                {
                    if (s.Layer == 1)
                    {
                        ctx.Progress?.Complete(PruneStage.Tsne);
                        ctx.Progress?.Start(PruneStage.Scoring, $"{ClusterMetrics.Name(o.Metric)} per layer", features.Layers);
                    }
                    ctx.Progress?.Advance(PruneStage.Scoring, s.Layer, $"layer {s.Layer}: {s.Score:F4}");
                }));
        }
        catch (ArgumentException e)
        {
            throw new SlsInputException("--perplexity", e.Message);
        }
        using (fem)
        {
            ctx.Progress?.Complete(PruneStage.Scoring);
            var decision = SlsPolicy.Decide(fem.Scores, o.Alpha, o.Metric);
            var plots = o.Plots is null ? [] : PrunePlots.Write(o.Plots, fem.Embeddings, features.Labels, fem.Scores, decision,
                ctx.Task.Name, ClusterMetrics.Name(o.Metric), o.Alpha);
            var index = ctx.Index with
            {
                Metric = ClusterMetrics.Name(o.Metric),
                Alpha = o.Alpha,
                Threshold = decision.Guarded ? null : decision.Threshold,
                KeptBlocks = Enumerable.Range(1, decision.KeptBlocks).ToArray(),
                Scores = fem.Scores,
                Decision = decision.Reason,
                Tsne = fem.Settings,
            };
            return new MethodOutput(index, null, featuresPath, plots);
        }
    }
}
