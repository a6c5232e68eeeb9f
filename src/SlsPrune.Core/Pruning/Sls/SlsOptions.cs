using System.Text.Json.Serialization;
using SlsPrune.Core.Fem;

namespace SlsPrune.Core.Pruning.Sls;

/// <summary>SLS's options: the threshold factor, the cluster metric, t-SNE's perplexity, and what to save beside the
/// index (the per-layer features, the plots).</summary>
public sealed record SlsOptions
{
    /// <summary>The threshold factor: blocks above the last layer scoring under alpha times the top layer's score are
    /// pruned. Positive; above 1 is allowed but warned about. Default <see cref="SlsPolicy.DefaultAlpha"/>.</summary>
    [Setting("threshold factor, T = alpha x the top layer's score; a list (0.1,0.3,0.5) writes one more index per further value, "
        + "NAME.alpha0.3.sls.json", ListInto = "alphas")]
    public double Alpha { get; init; } = SlsPolicy.DefaultAlpha;

    /// <summary>The cluster metric that scores a layer's t-SNE embedding against the labels (<see cref="ClusterMetrics"/>); silhouette by
    /// default.</summary>
    [Setting("the cluster metric that scores a layer")]
    [JsonConverter(typeof(ClusterMetricSetting))]
    public IClusterMetric Metric { get; init; } = ClusterMetrics.Default;

    /// <summary>t-SNE's perplexity (effective neighbours per point), positive and less than the number of calibration images; 30 by
    /// default.</summary>
    [Setting("t-SNE perplexity")]
    public double Perplexity { get; init; } = 30.0;

    /// <summary>Folder for a t-SNE scatter per layer and the score curve (PNG).</summary>
    [Setting("write the score curve, the t-SNE grid and a t-SNE scatter per layer (PNG and SVG) in this folder", IsPath = true)]
    public string? Plots { get; init; }

    /// <summary>Where to save the per-layer features (safetensors: feats, labels).</summary>
    [Setting("save the per-layer features (safetensors: feats, labels)", IsPath = true)]
    public string? FeaturesOut { get; init; }

    /// <summary>More alphas to decide for from the same scores: one more index each (<c>--alpha 0.1,0.3,0.5</c>;
    /// <see cref="Alpha"/> is the first).</summary>
    [Setting("further alphas (given as a list to --alpha)", Hidden = true)]
    public IReadOnlyList<double>? Alphas { get; init; }

    /// <summary>The labelled split the accuracy of every depth (no retraining) is measured on, in the features' pass;
    /// null: <c>val200</c>, else <c>val</c>, where the data has it; <c>none</c>: off.</summary>
    [Setting("labelled split on which every depth's accuracy without retraining is measured in the same pass (default: val200, else val, where the "
        + "data has it; none: off)")]
    public string? AccuracySplit { get; init; }

    /// <summary>Who decides the depth: the paper's alpha rule, or the accuracy of every depth (<see cref="MaxDrop"/>).</summary>
    [Setting("who decides the depth: alpha (the paper's rule) or accuracy (the fewest blocks within --max-drop points of the full model's accuracy)")]
    public SlsDecisionPolicy Policy { get; init; } = SlsDecisionPolicy.Alpha;

    /// <summary>The accuracy policy keeps the fewest leading blocks whose accuracy is within this many points of the full model's.</summary>
    [Setting("--policy accuracy: allowed drop in top-1, percentage points")]
    public double MaxDrop { get; init; } = 2.0;

    /// <summary>t-SNE runs with seeds seed..seed+N-1: scores as mean and std, the decision most seeds give (ties: keep more).</summary>
    [Setting("run t-SNE with this many seeds; scores as mean +- std, the decision most seeds give")]
    public int TsneSeeds { get; init; } = 1;

    /// <summary>auto (the default): <see cref="SlsScoring.Needed"/>, unless an output reads every layer's score
    /// (<see cref="EveryLayerReader"/>), then <see cref="SlsScoring.All"/>; all: every layer (the index's scores, alpha
    /// sweep and figures); needed: from the top down only the layers the alpha rule reads, as the SLS reference loop does
    /// (the same scores for those layers, the same decision).</summary>
    [Setting("auto (needed, unless --plots, several alphas, --tsne-seeds above 1, --policy accuracy or a --budget (its front) read every layer: "
        + "then all), all (every layer: the scores, alpha sweep and figures) or needed (from the top layer down only the layers the alpha rule "
            + "reads, as the SLS reference loop does: the same decision, faster)")]
    public SlsScoring Scoring { get; init; } = SlsScoring.Auto;

    /// <summary>The option that reads every layer's score (named as the user wrote it), or null when the alpha rule's
    /// layers are all the output needs.</summary>
    public string? EveryLayerReader() => Policy == SlsDecisionPolicy.Accuracy ? "--policy accuracy" : TsneSeeds > 1 ? "--tsne-seeds above 1"
        : Alphas is { Count: > 1 } ? "several alphas" : Plots is not null ? "--plots" : null;

    /// <summary>What <see cref="Scoring"/> comes to for these options: <see cref="SlsScoring.All"/> or <see cref="SlsScoring.Needed"/>.</summary>
    public SlsScoring ResolvedScoring() => Scoring != SlsScoring.Auto ? Scoring : EveryLayerReader() is null ? SlsScoring.Needed : SlsScoring.All;
}

/// <summary>Which layers SLS scores (<see cref="SlsOptions.Scoring"/>).</summary>
public enum SlsScoring
{
    /// <summary>Needed, unless an output reads every layer (<see cref="SlsOptions.ResolvedScoring"/>).</summary>
    Auto,

    /// <summary>Score every layer (the paper; needed for plots, several alphas or seeds, the accuracy policy).</summary>
    All,

    /// <summary>Score from the top layer down only the layers the alpha rule reads; the same decision, fewer t-SNE runs.</summary>
    Needed,
}

/// <summary>What decides an SLS index's depth.</summary>
public enum SlsDecisionPolicy
{
    /// <summary>The paper's rule on the scores: T = alpha x the top layer's score.</summary>
    Alpha,

    /// <summary>The fewest leading blocks whose accuracy without retraining is within --max-drop points of the full model's.</summary>
    Accuracy,
}

/// <summary>SLS's <c>metric</c> setting: a name in <see cref="ClusterMetrics.All"/>.</summary>
public sealed class ClusterMetricSetting : RegistrySetting<IClusterMetric>
{
    /// <summary>The metrics a name may be: <see cref="ClusterMetrics.All"/>.</summary>
    protected override IReadOnlyList<IClusterMetric> All => ClusterMetrics.All;

    /// <summary>The name written for <paramref name="value"/>: its <see cref="IClusterMetric.Name"/>.</summary>
    protected override string Name(IClusterMetric value) => value.Name;
}
