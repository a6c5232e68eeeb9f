using SlsPrune.Core.Fem;

namespace SlsPrune.Core.Pruning.Sls;

/// <summary>SLS's options: the threshold factor, the cluster metric, t-SNE's perplexity, and what to save beside the
/// index (the per-layer features, the plots).</summary>
public sealed record SlsOptions
{
    public double Alpha { get; init; } = SlsPolicy.DefaultAlpha;

    public ClusterMetric Metric { get; init; } = ClusterMetric.Silhouette;

    public double Perplexity { get; init; } = 30.0;

    /// <summary>Folder for a t-SNE scatter per layer and the score curve (PNG).</summary>
    public string? Plots { get; init; }

    /// <summary>Where to save the per-layer features (safetensors: feats, labels).</summary>
    public string? FeaturesOut { get; init; }

    /// <summary>More alphas to decide for from the same scores: one more index each (<c>--alpha 0.1,0.3,0.5</c>;
    /// <see cref="Alpha"/> is the first).</summary>
    public IReadOnlyList<double>? Alphas { get; init; }

    /// <summary>The labelled split the accuracy of every depth (no retraining) is measured on, in the features' pass;
    /// null: <c>val200</c>, else <c>val</c>, where the data has it; <c>none</c>: off.</summary>
    public string? AccuracySplit { get; init; }

    /// <summary>Who decides the depth: the paper's alpha rule, or the accuracy of every depth (<see cref="MaxDrop"/>).</summary>
    public SlsDecisionPolicy Policy { get; init; } = SlsDecisionPolicy.Alpha;

    /// <summary>The accuracy policy keeps the fewest leading blocks whose accuracy is within this many points of the full model's.</summary>
    public double MaxDrop { get; init; } = 2.0;

    /// <summary>t-SNE runs with seeds seed..seed+N-1: scores as mean and std, the decision most seeds give (ties: keep more).</summary>
    public int TsneSeeds { get; init; } = 1;

    /// <summary>all: every layer (the index's scores, alpha sweep and figures); needed: from the top down only the
    /// layers the alpha rule reads, as the SLS reference loop does (the same scores for those layers, the same
    /// decision).</summary>
    public SlsScoring Scoring { get; init; } = SlsScoring.All;
}

/// <summary>Which layers SLS scores (<see cref="SlsOptions.Scoring"/>).</summary>
public enum SlsScoring
{
    All,

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
