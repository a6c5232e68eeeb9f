using System.Globalization;
using SlsPrune.Core.Fem;
using SlsPrune.Core.Indexing;

namespace SlsPrune.Core.Pruning.Sls;

/// <summary>Top-1 of the model cut after every block, without retraining (<see cref="Top1"/>[k-1]: blocks 1..k kept), on
/// a labelled split of <see cref="Images"/> images.</summary>
public sealed record DepthAccuracy(string Split, int Images, IReadOnlyList<double> Top1);

/// <summary>One step of the alpha sweep: for every alpha in (<see cref="From"/>, <see cref="To"/>] the rule keeps
/// <see cref="Kept"/> leading blocks.</summary>
public sealed record AlphaStep(double From, double To, int Kept);

/// <summary>One layer's score (layer 1-based).</summary>
public sealed record LayerScore(int Layer, double Score);

/// <summary>SLS's section of an index (<c>sls</c>): the alpha and threshold of the rule, the scores (every layer's, or
/// with <c>--scoring needed</c> those it read from the top down), their spread over t-SNE seeds, the alpha sweep, the
/// accuracy of every depth, the policy, and the t-SNE settings.</summary>
public sealed record SlsSection : IIndexSection
{
    /// <summary>The threshold factor the decision used (<see cref="SlsOptions.Alpha"/>): threshold = alpha times the top layer's score.</summary>
    public required double Alpha { get; init; }

    /// <summary>Null when the guard applied (the top layer separates nothing), or the accuracy policy decided.</summary>
    public double? Threshold { get; init; }

    /// <summary>Score of each layer 1..depth.</summary>
    public IReadOnlyList<double>? Scores { get; init; }

    /// <summary><c>--scoring needed</c> when it stopped before layer 1: the layers it scored, from the top down
    /// (<see cref="Scores"/> is then absent).</summary>
    public IReadOnlyList<LayerScore>? ScoresFromTop { get; init; }

    /// <summary>With several t-SNE seeds: the standard deviation of each layer's score over the seeds (<see cref="Scores"/> is the mean).</summary>
    public IReadOnlyList<double>? ScoreStd { get; init; }

    /// <summary>With several t-SNE seeds: the blocks each seed's scores would keep (the decision is the most common; ties keep more).</summary>
    public IReadOnlyList<int>? SeedKept { get; init; }

    /// <summary>The kept depth for every alpha in (0, 1], from the same scores.</summary>
    public IReadOnlyList<AlphaStep>? AlphaSweep { get; init; }

    /// <summary>Top-1 of every depth without retraining.</summary>
    public DepthAccuracy? DepthAccuracy { get; init; }

    /// <summary>What decided the depth, <c>alpha</c> (the paper's rule; absent in older indexes) or <c>accuracy</c>.</summary>
    public string? Policy { get; init; }

    /// <summary>The accuracy policy's allowed drop, percentage points.</summary>
    public double? MaxDrop { get; init; }

    /// <summary>The t-SNE settings the scores were computed with (perplexity, iterations, learning rate, init, method, seed);
    /// absent in hand-made indexes.</summary>
    public TsneSettings? Tsne { get; init; }

    /// <summary>The SLS section of an index SLS wrote.</summary>
    /// <exception cref="ArgumentException">when another method wrote it.</exception>
    public static SlsSection Of(PruningIndex index) =>
        index.Section as SlsSection ?? throw new ArgumentException($"the index was written by method '{index.Method}', not sls", nameof(index));

    /// <inheritdoc/>
    public IEnumerable<string> Summary(PruningIndex index)
    {
        var inv = CultureInfo.InvariantCulture;
        if (AlphaSweep is { } sweep)
            yield return "Alpha sweep (blocks kept): " + string.Join(", ", sweep.Select(st =>
                $"({st.From.ToString("0.###", inv)}, {st.To.ToString("0.###", inv)}] -> {st.Kept}"));
        if (Scores is null && ScoresFromTop is { Count: > 0 } fromTop)
        {
            int lowest = fromTop.Min(x => x.Layer);
            yield return $"Layers 1..{lowest - 1} not scored (the rule reads only the layers above; --scoring all scores every layer); blocks 1.."
                + $"{lowest - 1} kept.";
        }
    }

    /// <inheritdoc/>
    public SectionTable? Table(PruningIndex index)
    {
        if (Scores is { } scores)
            return LayerTable.Build(index, LayerTable.All(index), l => scores[l - 1], Threshold, ScoreStd,
                accuracy: DepthAccuracy is { } a ? (a.Split, a.Top1) : null);
        if (ScoresFromTop is { } fromTop)
        {
            // --scoring needed: the layers scored from the top down; the rest were not read by the rule
            var byLayer = fromTop.ToDictionary(x => x.Layer, x => x.Score);
            return LayerTable.Build(index, [.. byLayer.Keys.Order()], l => byLayer[l], Threshold);
        }
        return null;
    }

    /// <inheritdoc/>
    public LayerCurve? Curve(PruningIndex index) =>
        Scores is { } scores ? new LayerCurve(scores, Threshold, Alpha, ScoreStd, DepthAccuracy?.Top1) : null;
}

/// <summary>Reads, writes and checks <see cref="SlsSection"/>.</summary>
public sealed class SlsSectionFormat : IndexSectionFormat<SlsSection>
{
    /// <inheritdoc/>
    public override IReadOnlyCollection<string> LegacyFields =>
        ["alpha", "threshold", "scores", "scores_from_top", "score_std", "seed_kept", "alpha_sweep", "depth_accuracy", "policy", "max_drop", "tsne"];

    /// <summary>Scores one per layer of the index's depth (or scores from the top, in order, in their place), one spread per
    /// score, and no null entries where a value is required.</summary>
    /// <exception cref="SlsInputException">naming the field as the file spells it (<c>sls.scores</c>).</exception>
    protected override void Check(SlsSection s, SectionSource at)
    {
        int depth = at.Index.Depth;
        if (s.Tsne is { } t)
        {
            at.Need(t.LearningRate, "tsne.learning_rate");
            at.Need(t.Init, "tsne.init");
            at.Need(t.Method, "tsne.method");
        }
        if (s.Scores is not null && s.Scores.Count != depth)
            throw at.Refuse($"field '{at.Field("scores")}' has {s.Scores.Count} scores for depth {depth}");
        if (s.ScoresFromTop is { } fromTop && (s.Scores is not null || fromTop.Count == 0 || fromTop.Count >= depth || fromTop.Any(x => x is null)
                || !fromTop.Select(x => x.Layer).SequenceEqual(Enumerable.Range(depth - fromTop.Count + 1, fromTop.Count).Reverse())))
            throw at.Refuse($"{at.Field("scores_from_top")} must list layers {depth}, {depth - 1}, ... down to a layer above 1, in that order, in "
                + $"place of scores");
        if (s.ScoreStd is { } std && std.Count != s.Scores?.Count)
            throw at.Refuse($"field '{at.Field("score_std")}' has {std.Count} values; it needs one per score ({s.Scores?.Count ?? 0})");
        if (s.DepthAccuracy is { } acc)
        {
            at.Need(acc.Split, "depth_accuracy.split");
            at.Need(acc.Top1, "depth_accuracy.top1");
        }
        if (s.AlphaSweep is { } sweep && sweep.Any(x => x is null)) throw at.Refuse($"field '{at.Field("alpha_sweep")}' has a null entry");
    }
}
