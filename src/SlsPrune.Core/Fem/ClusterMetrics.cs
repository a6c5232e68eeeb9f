using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Fem;

/// <summary>
/// The cluster metrics SLS can score a layer with, by name (<c>--metric</c>, a manifest's <c>metric</c>, the index's
/// <c>metric</c>): scikit-learn's <c>silhouette_score</c>, <c>calinski_harabasz_score</c> and
/// <c>davies_bouldin_score</c> on torch tensors (any device), computed in float64. A new metric is one
/// <see cref="IClusterMetric"/> class and one line in <see cref="All"/>.
/// </summary>
public static class ClusterMetrics
{
    /// <summary>Every metric, by <see cref="IClusterMetric.Name"/> (matched in any case), the default (silhouette) first.</summary>
    public static IReadOnlyList<IClusterMetric> All { get; } = [new SilhouetteMetric(), new CalinskiHarabaszMetric(), new DaviesBouldinMetric()];

    /// <summary>Silhouette: SLS's metric unless told otherwise.</summary>
    public static IClusterMetric Default => All[0];

    /// <summary>The metric of this name (any case), or false.</summary>
    public static bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IClusterMetric? metric)
    {
        metric = All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
        return metric is not null;
    }

    /// <exception cref="SlsInputException">for a name not in <see cref="All"/>.</exception>
    public static IClusterMetric Get(string name) => TryGet(name, out var m) ? m
        : throw new SlsInputException("--metric", $"'{name}' is not one of {string.Join(", ", All.Select(a => a.Name))}");

    /// <summary>What every metric starts from: the points in float64, the labels encoded (<see cref="Encode"/>) as a tensor
    /// on the points' device, their one-hot matrix [n, k] and the cluster sizes [k]. Made in the caller's dispose scope.</summary>
    public static (Tensor Points, Tensor Labels, Tensor OneHot, Tensor Counts, int Clusters) Clusters(Tensor x, long[] labels)
    {
        var (enc, k) = Encode(labels);
        var xd = x.to(ScalarType.Float64);
        var lab = torch.tensor(enc, device: x.device);
        var onehot = torch.nn.functional.one_hot(lab, k).to(ScalarType.Float64);
        return (xd, lab, onehot, onehot.sum(dim: 0), k);
    }

    /// <summary>Labels as 0..k-1 in sorted order of the original values (sklearn's LabelEncoder), with
    /// sklearn's check that 2 &lt;= k &lt;= n - 1.</summary>
    public static (long[] Encoded, int Clusters) Encode(long[] labels)
    {
        var values = labels.Distinct().Order().ToArray();
        int k = values.Length, n = labels.Length;
        if (k < 2 || k > n - 1)
            throw new ArgumentException($"number of labels is {k}; valid values are 2 to n_samples - 1 ({n - 1}) inclusive");
        var map = values.Select((v, i) => (v, i)).ToDictionary(t => t.v, t => (long)t.i);
        return (labels.Select(l => map[l]).ToArray(), k);
    }

    /// <summary>scikit-learn's <c>silhouette_score</c> of the points <paramref name="x"/> (<c>[n, d]</c>, any device) under
    /// <paramref name="labels"/> (one per row): in [-1, 1], higher is better separated.</summary>
    /// <exception cref="ArgumentException">when the labels have fewer than 2 or more than n - 1 distinct values.</exception>
    public static double Silhouette(Tensor x, long[] labels) => SilhouetteMetric.Compute(x, labels);

    /// <summary>scikit-learn's <c>calinski_harabasz_score</c> of the points <paramref name="x"/> (<c>[n, d]</c>) under
    /// <paramref name="labels"/>: between- over within-cluster dispersion, 0 or more, higher is better separated.</summary>
    /// <exception cref="ArgumentException">when the labels have fewer than 2 or more than n - 1 distinct values.</exception>
    public static double CalinskiHarabasz(Tensor x, long[] labels) => CalinskiHarabaszMetric.Compute(x, labels);

    /// <summary>scikit-learn's <c>davies_bouldin_score</c> of the points <paramref name="x"/> (<c>[n, d]</c>) under
    /// <paramref name="labels"/>: the mean worst-case ratio of within-cluster spread to centroid distance, 0 or more,
    /// lower is better separated.</summary>
    /// <exception cref="ArgumentException">when the labels have fewer than 2 or more than n - 1 distinct values.</exception>
    public static double DaviesBouldin(Tensor x, long[] labels) => DaviesBouldinMetric.Compute(x, labels);
}
