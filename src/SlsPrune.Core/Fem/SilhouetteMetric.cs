using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Fem;

/// <summary>scikit-learn's <c>silhouette_score</c> (Euclidean): the mean over points of (b - a) / max(a, b), 0 for a point alone in its cluster;
/// higher is better.</summary>
public sealed class SilhouetteMetric : IClusterMetric
{
    public string Name => "silhouette";
    public string DisplayName => "Silhouette";
    public bool HigherIsBetter => true;
    public double Score(Tensor x, long[] labels) => Compute(x, labels);

    public static double Compute(Tensor x, long[] labels)
    {
        using var scope = torch.NewDisposeScope();
        var (xd, lab, onehot, counts, k) = ClusterMetrics.Clusters(x, labels);
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
}
