using static TorchSharp.torch;

namespace SlsPrune.Core.Fem;

/// <summary>A cluster-quality metric SLS can score a layer with, as scikit-learn defines it (Euclidean, float64,
/// labels as clusters). A new metric is one class and one line in <see cref="ClusterMetrics.All"/>.</summary>
public interface IClusterMetric
{
    /// <summary>The name <c>--metric</c>, a manifest and the index use (kebab case).</summary>
    string Name { get; }

    /// <summary>The name for people (figures, reports).</summary>
    string DisplayName { get; }

    /// <summary>True when a larger value means better-separated classes; SLS's alpha rule mirrors otherwise.</summary>
    bool HigherIsBetter { get; }

    /// <summary>The score of points <paramref name="x"/> [n, d] (any device) with these labels, in float64.</summary>
    double Score(Tensor x, long[] labels);
}
