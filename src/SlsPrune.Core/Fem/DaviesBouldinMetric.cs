using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Fem;

/// <summary>scikit-learn's <c>davies_bouldin_score</c>: the mean over clusters of the worst (s_i + s_j) / d(c_i, c_j); lower is better, &gt;=
/// 0.</summary>
public sealed class DaviesBouldinMetric : IClusterMetric
{
    public string Name => "davies-bouldin";
    public string DisplayName => "Davies-Bouldin";
    public bool HigherIsBetter => false;
    public double Score(Tensor x, long[] labels) => Compute(x, labels);

    public static double Compute(Tensor x, long[] labels)
    {
        using var scope = torch.NewDisposeScope();
        var (xd, lab, onehot, counts, k) = ClusterMetrics.Clusters(x, labels);
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
