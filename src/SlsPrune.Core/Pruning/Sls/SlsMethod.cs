using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Features;
using SlsPrune.Core.Fem;
using SlsPrune.Core.Fem.Tsne;
using SlsPrune.Core.Indexing;
using SlsPrune.Core.IO;

namespace SlsPrune.Core.Pruning.Sls;

/// <summary>SLS (the paper): one pass over the calibration split for every block's feature, the FEM (t-SNE of all
/// layers at once, min-max scaling, the metric), the alpha rule, and the index.</summary>
public sealed class SlsMethod : PruneMethod<SlsOptions>
{
    /// <inheritdoc/>
    public override string Name => "sls";

    /// <inheritdoc/>
    public override string Description => "t-SNE + silhouette of every layer's feature, the alpha rule (the SLS paper)";

    /// <summary>SLS's index section (<see cref="SlsSection"/>: alpha, threshold, scores, t-SNE settings), version 1.</summary>
    public override IIndexSectionFormat Section { get; } = new SlsSectionFormat();

    /// <summary>Every kind: the score rule (or the accuracy policy) chooses among the depths that fit (<see cref="SlsBudget"/>).</summary>
    public override IReadOnlyCollection<string> BudgetKinds => [.. Budgets.BudgetKinds.All.Select(k => k.Name)];

    /// <summary>Warns of an alpha above 1 under the alpha rule (a threshold above the top score: every block but the first is
    /// pruned), and of a perplexity too close to the number of calibration images: t-SNE's neighbourhoods (3 x perplexity + 1
    /// neighbours, as scikit-learn takes) then span every image, the embedding separates little, and the scores are near
    /// meaningless (32 images at perplexity 30 scored the shipped model's top layer -0.08 against 0.62 with 100).</summary>
    protected override IEnumerable<string> Warnings(SlsOptions o, int calibrationImages)
    {
        if (o.Policy == SlsDecisionPolicy.Alpha && SlsPolicy.AlphaAboveOne(o.Alphas ?? [o.Alpha]) is { } w) yield return w;
        double neighbours = 3 * o.Perplexity + 1;
        if (calibrationImages <= neighbours)
            yield return string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"perplexity {o.Perplexity:G} asks t-SNE for {neighbours:G} neighbours of each image, but the calibration has "
                + $"{calibrationImages} images: every neighbourhood is the whole set, and the scores say little; give more images, or "
                + $"--perplexity {Math.Max(1, (calibrationImages - 2) / 3)} or less");
    }

    /// <summary>The plots folder, the features file, and one more index per further alpha (<c>NAME.alphaA.sls.json</c>), where asked.</summary>
    protected override IEnumerable<OutputTarget> Outputs(PruneOptions run, SlsOptions o)
    {
        if (o.Plots is not null) yield return new OutputTarget(o.Plots, "--plots", Folder: true);
        if (o.FeaturesOut is not null) yield return new OutputTarget(o.FeaturesOut, "--features-out");
        foreach (var a in (o.Alphas ?? []).Where(a => a != o.Alpha).Distinct()) yield return new OutputTarget(AlphaPath(run.Out, a), "--alpha");
    }

    /// <summary>The smallest t-SNE perplexity taken (see <see cref="Validate"/>).</summary>
    public const double MinPerplexity = 1;

    /// <summary>Alpha(s) positive and finite, perplexity finite and at least <see cref="MinPerplexity"/>, at least one t-SNE seed,
    /// max-drop non-negative, and
    /// <see cref="SlsScoring.Needed"/> not combined with what needs every layer's score.</summary>
    /// <exception cref="SlsInputException">naming the option at fault.</exception>
    protected override void Validate(SlsOptions o)
    {
        if (!(o.Alpha > 0) || double.IsInfinity(o.Alpha)) throw new SlsInputException("--alpha", $"alpha must be positive (got {o.Alpha})");
        if (o.Alphas?.Any(a => !(a > 0) || double.IsInfinity(a)) == true) throw new SlsInputException("--alpha",
            "every alpha must be a positive number");
        if (o.TsneSeeds < 1) throw new SlsInputException("--tsne-seeds", $"must be at least 1 (got {o.TsneSeeds})");
        // perplexity is 2^H of a point's distribution over its neighbours, H >= 0: below 1 no precision reaches it (sklearn's
        // search then stops at its step limit with all weight on the nearest neighbour), so it is refused, as the t-SNE paper's 5..50 suggests
        Hyperparameter.Check("--perplexity", o.Perplexity, MinPerplexity);
        if (!(o.MaxDrop >= 0) || double.IsInfinity(o.MaxDrop)) throw new SlsInputException("--max-drop",
            $"must be a non-negative number of points (got {o.MaxDrop})");
        if (o.Scoring == SlsScoring.Needed)
        {
            // The layers the alpha rule reads are all that is scored: what needs every layer is refused.
            string? clash = o.EveryLayerReader();
            if (clash is not null)
                throw new SlsInputException("--scoring", $"needed scores only the layers the alpha rule reads, from the top down; {clash} "
                    + $"{(clash == "several alphas" ? "need" : "needs")} every layer's score (use --scoring all)");
        }
    }

    /// <summary>Every block's feature over the calibration images, t-SNE and the metric per layer (or only the layers the
    /// rule reads, with <see cref="SlsScoring.Needed"/>), the decision, and the index with its <see cref="SlsSection"/>.</summary>
    /// <exception cref="SlsInputException">naming the calibration list: fewer than 2 classes, no more images than classes, or
    /// fewer images than the perplexity.</exception>
    protected override MethodOutput Run(PruneContext ctx, SlsOptions o)
    {
        var items = ctx.Items;
        var model = ctx.Model.Model;
        string list = ctx.Task.Where(ctx.Options.Split);
        int classes = ctx.Index.Calibration.Classes;
        if (classes < 2)
            throw new SlsInputException(list, $"calibration split has {classes} class; SLS scores how well layers separate classes and needs at "
                + $"least 2");
        if (items.Count - 1 < classes)
            throw new SlsInputException(list, $"calibration split has {items.Count} images for {classes} classes; the silhouette needs more images "
                + $"than classes");
        if (o.Perplexity >= items.Count)
            throw new SlsInputException(list, $"calibration split has {items.Count} images; t-SNE perplexity {o.Perplexity} must be less than that "
                + $"(use a larger split or --perplexity)");

        ctx.Progress?.Start(PruneStage.Features, $"features ({items.Count} images, {model.Depth} blocks)", items.Count);
        string? accuracySplit = o.AccuracySplit is "none" ? null : o.AccuracySplit ?? DefaultAccuracySplits.FirstOrDefault(ctx.Task.Splits.Contains);
        if (o.Policy == SlsDecisionPolicy.Accuracy && accuracySplit is null)
            throw new SlsInputException("--policy", "accuracy needs a labelled split to measure every depth on (--accuracy-split; the data has no "
                + "val200 or val split)");
        var accuracyItems = accuracySplit is null ? null : ctx.Task.Read(accuracySplit, model.NumClasses);
        var preprocessor = Preprocessor.For(model.Input);
        using var features = LayerFeatureExtractor.Extract(model, items, preprocessor, ctx.Options.Model.BatchSize, ctx.Device,
            ctx.Advance(PruneStage.Features), predictions: accuracyItems is not null, cancellationToken: ctx.Cancellation);
        var depthAccuracy = accuracyItems is null ? null
            : DepthAccuracyPass.Measure(accuracySplit!, accuracyItems, items, features, model, preprocessor, ctx.Options.Model.BatchSize, ctx.Device,
                ctx.Cancellation);
        ctx.Progress?.Complete(PruneStage.Features);
        string? featuresPath = null;
        if (o.FeaturesOut is not null)
        {
            features.Save(o.FeaturesOut, new Dictionary<string, string> { ["task"] = ctx.Task.Name, ["split"] = ctx.Options.Split });
            featuresPath = Path.GetFullPath(o.FeaturesOut);
        }

        if (o.ResolvedScoring() == SlsScoring.Needed && (o.Scoring == SlsScoring.Needed || ctx.Options.EveryLayerReader is null))
            return new MethodOutput(ScoreNeeded(ctx, o, features, depthAccuracy), null, featuresPath, [], null);

        var runs = new List<FemResult>();
        try
        {
            for (int seed = 0; seed < o.TsneSeeds; seed++)
                runs.Add(Score(ctx, o, features, ctx.Options.Seed + seed, o.TsneSeeds > 1 ? $" (seed {seed + 1} of {o.TsneSeeds})" : ""));
            var fem = runs[0];
            ctx.Progress?.Complete(PruneStage.Scoring);
            int layers = fem.Scores.Length;
            var mean = Enumerable.Range(0, layers).Select(l => runs.Average(r => r.Scores[l])).ToArray();
            double[]? std = runs.Count == 1 ? null
                : Enumerable.Range(0, layers).Select(l => Math.Sqrt(runs.Sum(r => Math.Pow(r.Scores[l] - mean[l], 2)) / (runs.Count - 1))).ToArray();
            var sweep = SlsPolicy.Sweep(mean, o.Metric);

            PruningIndex Decided(double alpha)
            {
                var byAlpha = SlsPolicy.Decide(mean, alpha, o.Metric);
                var decision = o.Policy != SlsDecisionPolicy.Accuracy ? byAlpha
                    : ctx.Budget is null ? SlsPolicy.DecideByAccuracy(depthAccuracy!.Top1, o.MaxDrop, depthAccuracy.Split)
                    : SlsBudget.ByAccuracy(ctx, depthAccuracy!);
                int kept = decision.KeptBlocks;
                string reason = decision.Reason;
                // with several seeds: each seed's own decision, and (alpha policy) the one most of them give, ties keeping more
                int[]? perSeed = runs.Count == 1 ? null : runs.Select(r => SlsPolicy.Decide(r.Scores, alpha, o.Metric).KeptBlocks).ToArray();
                if (perSeed is not null && o.Policy == SlsDecisionPolicy.Alpha)
                {
                    var votes = perSeed.GroupBy(k => k).ToList();
                    int most = votes.Max(g => g.Count());
                    kept = votes.Where(g => g.Count() == most).Max(g => g.Key);
                    reason = $"{most} of {runs.Count} t-SNE seeds keep blocks 1..{kept} (per seed: {string.Join(", ", perSeed)}; ties keep more)";
                }
                var budget = SlsBudget.Apply(ctx, o.Policy, ref kept, ref reason, o.Policy == SlsDecisionPolicy.Alpha ? kept : byAlpha.KeptBlocks);
                return ctx.Index with
                {
                    Budget = budget,
                    Metric = o.Metric.Name,
                    KeptBlocks = Enumerable.Range(1, kept).ToArray(),
                    Decision = reason,
                    Section = new SlsSection
                    {
                        Alpha = alpha,
                        Threshold = o.Policy == SlsDecisionPolicy.Alpha && !byAlpha.Guarded ? byAlpha.Threshold : null,
                        Scores = mean,
                        ScoreStd = std,
                        SeedKept = perSeed,
                        AlphaSweep = sweep,
                        DepthAccuracy = depthAccuracy,
                        Policy = o.Policy == SlsDecisionPolicy.Alpha ? "alpha" : "accuracy",
                        MaxDrop = o.Policy == SlsDecisionPolicy.Accuracy ? o.MaxDrop : null,
                        Tsne = fem.Settings,
                    },
                };
            }

            var index = Decided(o.Alpha);
            var plots = o.Plots is null ? [] : PrunePlots.Write(o.Plots, fem.Embeddings, features.Labels, mean,
                new PruningDecision(layers, index.KeptBlocks.Count, SlsSection.Of(index).Threshold ?? double.NaN, null, SlsSection.Of(index)
                    .Threshold is null, index.Decision),
                ctx.Task.Name, o.Metric.Name, o.Alpha, std, depthAccuracy?.Top1, ctx.Index.ClassNames);
            if (o.Plots is not null) plots = [.. plots, .. Budgets.FrontPlot.Write(o.Plots, index, ctx.Task.Name)];
            var more = (o.Alphas ?? []).Where(a => a != o.Alpha).Distinct()
                .Select(a => (Path: AlphaPath(ctx.Options.Out, a), Index: Decided(a))).ToList();
            return new MethodOutput(index, null, featuresPath, plots, more.Count == 0 ? null : more);
        }
        finally
        {
            foreach (var r in runs) r.Dispose();
        }
    }

    /// <summary><c>--scoring needed</c> (and <c>auto</c> when no output reads every layer): the FEM from the top layer down, one layer at a time,
    /// until the alpha rule is
    /// decided (<see cref="SlsPolicy.NeedsLayerBelow"/>); the index carries the scored layers and the same decision
    /// that scoring every layer gives.</summary>
    private static PruningIndex ScoreNeeded(PruneContext ctx, SlsOptions o, LayerFeatureSet features, DepthAccuracy? depthAccuracy)
    {
        var tsne = new TsneOptions { Perplexity = o.Perplexity, Seed = ctx.Options.Seed };
        int layers = features.Layers, done = 0;
        ctx.Progress?.Start(PruneStage.Tsne, $"t-SNE + {o.Metric.Name} from the top layer down, as needed ({features.Count} points)", layers);
        double[] scores;
        int lowest;
        try
        {
            (scores, lowest) = FeatureEvaluation.ScoreFromTop(features.Features, features.Labels, o.Metric, tsne, ctx.Device,
                (s, low) => SlsPolicy.NeedsLayerBelow(s, low, o.Alpha, o.Metric),
                new Runtime.Callback<int>(_ => ctx.Cancellation.ThrowIfCancellationRequested()),
                new Runtime.Callback<(int Layer, double Score)>(s => ctx.Progress?.Advance(PruneStage.Tsne, ++done,
                    $"layer {s.Layer}: {s.Score:F4}")));
        }
        catch (ArgumentException e)
        {
            throw new SlsInputException("--perplexity", e.Message);
        }
        ctx.Progress?.Complete(PruneStage.Tsne);
        var decision = SlsPolicy.Decide(scores, o.Alpha, o.Metric); // reads layers lowest..n only
        bool every = lowest == 1;
        int kept = decision.KeptBlocks;
        string reason = decision.Reason + (every ? ""
            : $" (layers {layers}..{lowest} scored, --scoring "
                + $"{(o.Scoring == SlsScoring.Auto ? "auto; --scoring all scores every layer" : "needed")})");
        var budget = SlsBudget.Apply(ctx, SlsDecisionPolicy.Alpha, ref kept, ref reason, kept);
        return ctx.Index with
        {
            Budget = budget,
            Metric = o.Metric.Name,
            KeptBlocks = Enumerable.Range(1, kept).ToArray(),
            Decision = reason,
            Section = new SlsSection
            {
                Alpha = o.Alpha,
                Threshold = decision.Guarded ? null : decision.Threshold,
                Scores = every ? scores : null,
                ScoresFromTop = every ? null : Enumerable.Range(lowest, layers - lowest + 1).Reverse().Select(l => new LayerScore(l, scores[l - 1]))
                    .ToArray(),
                AlphaSweep = every ? SlsPolicy.Sweep(scores, o.Metric) : null,
                DepthAccuracy = depthAccuracy,
                Policy = "alpha",
                Tsne = FeatureEvaluation.Settings(tsne),
            },
        };
    }

    /// <summary>Where every depth's accuracy is measured unless the user says: the first of these the data has.</summary>
    private static readonly string[] DefaultAccuracySplits = [SplitNames.Val, "val"];

    /// <summary><c>NAME.sls.json</c> to <c>NAME.alpha0.5.sls.json</c>: where a further alpha's index goes.</summary>
    public static string AlphaPath(string output, double alpha)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(output))!, name = Path.GetFileName(output);
        string stem = name.EndsWith(".sls.json", StringComparison.OrdinalIgnoreCase) ? name[..^".sls.json".Length]
            : Path.GetFileNameWithoutExtension(name);
        return Path.Combine(dir, $"{stem}.alpha{alpha.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}.sls.json");
    }

    private static FemResult Score(PruneContext ctx, SlsOptions o, LayerFeatureSet features, int seed, string note)
    {
        var tsne = new TsneOptions { Perplexity = o.Perplexity, Seed = seed };
        ctx.Progress?.Start(PruneStage.Tsne, $"t-SNE ({features.Layers} layers x {features.Count} points){note}", tsne.MaxIter);
        try
        {
            return FeatureEvaluation.Score(features.Features, features.Labels, o.Metric, tsne, ctx.Device,
                new Runtime.Callback<int>(i =>
                {
                    ctx.Cancellation.ThrowIfCancellationRequested(); ctx.Progress?.Advance(PruneStage.Tsne, i,
                    $"iteration {i}");
                }),
                new Runtime.Callback<(int Layer, double Score)>(s =>
                {
                    if (s.Layer == 1)
                    {
                        ctx.Progress?.Complete(PruneStage.Tsne);
                        ctx.Progress?.Start(PruneStage.Scoring, $"{o.Metric.Name} per layer{note}", features.Layers);
                    }
                    ctx.Progress?.Advance(PruneStage.Scoring, s.Layer, $"layer {s.Layer}: {s.Score:F4}");
                }));
        }
        catch (ArgumentException e)
        {
            throw new SlsInputException("--perplexity", e.Message);
        }
    }
}
