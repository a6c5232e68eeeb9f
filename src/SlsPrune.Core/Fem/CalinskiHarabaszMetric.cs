using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Fem;

/// <summary>scikit-learn's <c>calinski_harabasz_score</c>: between-cluster over within-cluster dispersion, scaled by (n - k) / (k - 1); higher is
/// better.</summary>
public sealed class CalinskiHarabaszMetric : IClusterMetric
{
    public string Name => "calinski-harabasz";
    public string DisplayName => "Calinski-Harabasz";
    public bool HigherIsBetter => true;
    public double Score(Tensor x, long[] labels) => Compute(x, labels);

    public static double Compute(Tensor x, long[] labels)
    {
        using var scope = torch.NewDisposeScope();
        var (xd, lab, onehot, counts, k) = ClusterMetrics.Clusters(x, labels);
        int n = labels.Length;
        var centroids = onehot.t().matmul(xd) / counts.unsqueeze(1);
        var mean = xd.mean([0]);
        double extra = (counts * (centroids - mean).pow(2).sum(dim: 1)).sum().item<double>();
        double intra = (xd - centroids.index_select(0, lab)).pow(2).sum().item<double>();
        return intra == 0 ? 1.0 : extra * (n - k) / (intra * (k - 1.0));
    }
}
