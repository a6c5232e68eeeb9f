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
}
