using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Fem;

/// <summary>The cluster-quality metrics SLS can score a layer with, as scikit-learn defines them
/// (Euclidean, float64, labels as clusters).</summary>
public enum ClusterMetric
{
    Silhouette,
    CalinskiHarabasz,
    DaviesBouldin,
}

/// <summary>
/// scikit-learn's <c>silhouette_score</c>, <c>calinski_harabasz_score</c> and <c>davies_bouldin_score</c> on
/// torch tensors (any device), computed in float64.
/// </summary>
public static class ClusterMetrics
{
    public static string Name(ClusterMetric m) => m switch
    {
        ClusterMetric.Silhouette => "silhouette",
        ClusterMetric.CalinskiHarabasz => "calinski-harabasz",
        ClusterMetric.DaviesBouldin => "davies-bouldin",
        _ => throw new ArgumentOutOfRangeException(nameof(m)),
    };

    public static bool TryParse(string s, out ClusterMetric metric)
    {
        foreach (var m in Enum.GetValues<ClusterMetric>())
            if (string.Equals(Name(m), s, StringComparison.OrdinalIgnoreCase)) { metric = m; return true; }
        metric = default;
        return false;
    }

    /// <summary>True when a larger value means better-separated classes (false for Davies-Bouldin).</summary>
    public static bool HigherIsBetter(ClusterMetric m) => m != ClusterMetric.DaviesBouldin;

    public static double Score(ClusterMetric m, Tensor x, long[] labels) => m switch
    {
        ClusterMetric.Silhouette => Silhouette(x, labels),
        ClusterMetric.CalinskiHarabasz => CalinskiHarabasz(x, labels),
        ClusterMetric.DaviesBouldin => DaviesBouldin(x, labels),
        _ => throw new ArgumentOutOfRangeException(nameof(m)),
    };

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

    public static double Silhouette(Tensor x, long[] labels)
    {
        using var scope = torch.NewDisposeScope();
        var (enc, k) = Encode(labels);
        var xd = x.to(float64);
        var lab = torch.tensor(enc, device: x.device);
        var onehot = nn.functional.one_hot(lab, k).to(float64);             // [n, k]
        var counts = onehot.sum(dim: 0);                                          // [k]
        var dist = torch.cdist(xd, xd);                                      // [n, n]
        var sums = dist.matmul(onehot);                                      // [n, k] distance sums per cluster
        var own = counts.index_select(0, lab);                               // size of each point's cluster
        var a = sums.gather(1, lab.unsqueeze(1)).squeeze(1) / (own - 1).clamp_min(1);
        var means = sums / counts;
        var b = means.masked_fill(onehot.to(ScalarType.Bool), double.PositiveInfinity).min(1).values;
        var s = (b - a) / torch.maximum(a, b);
        s = torch.where(own > 1, torch.nan_to_num(s), torch.zeros_like(s));
        return s.mean().item<double>();
    }

    public static double CalinskiHarabasz(Tensor x, long[] labels)
    {
        using var scope = torch.NewDisposeScope();
        var (enc, k) = Encode(labels);
        var xd = x.to(float64);
        int n = labels.Length;
        var lab = torch.tensor(enc, device: x.device);
        var onehot = nn.functional.one_hot(lab, k).to(float64);
        var counts = onehot.sum(dim: 0);
        var centroids = onehot.t().matmul(xd) / counts.unsqueeze(1);
        var mean = xd.mean([0]);
        double extra = (counts * (centroids - mean).pow(2).sum(dim: 1)).sum().item<double>();
        double intra = (xd - centroids.index_select(0, lab)).pow(2).sum().item<double>();
        return intra == 0 ? 1.0 : extra * (n - k) / (intra * (k - 1.0));
    }

    public static double DaviesBouldin(Tensor x, long[] labels)
    {
        using var scope = torch.NewDisposeScope();
        var (enc, k) = Encode(labels);
        var xd = x.to(float64);
        var lab = torch.tensor(enc, device: x.device);
        var onehot = nn.functional.one_hot(lab, k).to(float64);
        var counts = onehot.sum(dim: 0);
        var centroids = onehot.t().matmul(xd) / counts.unsqueeze(1);
        var toCentroid = (xd - centroids.index_select(0, lab)).pow(2).sum(dim: 1).sqrt();
        var intra = onehot.t().matmul(toCentroid) / counts;                  // [k]
        var centroidDist = torch.cdist(centroids, centroids);
        // sklearn: 0 when every intra distance or every centroid distance is (close to) zero
        if (torch.allclose(intra, torch.zeros_like(intra)) || torch.allclose(centroidDist, torch.zeros_like(centroidDist))) return 0.0;
        centroidDist = centroidDist.masked_fill(centroidDist.eq(0), double.PositiveInfinity);
        var combined = intra.unsqueeze(0) + intra.unsqueeze(1);
        return (combined / centroidDist).max(1).values.mean().item<double>();
    }
}
