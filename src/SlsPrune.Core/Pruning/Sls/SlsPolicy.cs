using SlsPrune.Core.Fem;

namespace SlsPrune.Core.Pruning.Sls;

/// <summary>The decision for one model: how many leading blocks to keep, and why.</summary>
public sealed record PruningDecision(int Depth, int KeptBlocks, double Threshold, int? StopLayer, bool Guarded, string Reason);

/// <summary>
/// SLS steps 4-6 (DESIGN.md). For silhouette and Calinski-Harabasz (higher is better): T = alpha * score_N;
/// walk from layer N down; the first layer i with score_i &lt; T stops the walk and blocks 1..i+1 are kept
/// (all N when i + 1 &gt; N); when no layer falls below T only block 1 is kept. Guard: if score_N &lt;= 0 the top
/// layer separates nothing and nothing is pruned.
/// For Davies-Bouldin (lower is better, &gt;= 0) the rule mirrors: T = DB_N / alpha, and the walk stops at the
/// first layer with DB_i &gt; T; the guard is DB_N &lt;= 0 (degenerate clusters).
/// </summary>
public static class SlsPolicy
{
    public const double DefaultAlpha = 0.3;

    /// <param name="scores">score of layers 1..N (index 0 is layer 1).</param>
    public static PruningDecision Decide(IReadOnlyList<double> scores, double alpha, ClusterMetric metric = ClusterMetric.Silhouette)
    {
        int n = scores.Count;
        if (n == 0) throw new ArgumentException("no layers to decide on", nameof(scores));
        if (!(alpha > 0) || double.IsInfinity(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), "alpha must be positive");
        double top = scores[n - 1];
        bool higherIsBetter = ClusterMetrics.HigherIsBetter(metric);
        if (top <= 0 || double.IsNaN(top))
            return new PruningDecision(n, n, double.NaN, null, true,
                $"the top layer's {ClusterMetrics.Name(metric)} score is {top:G4} (<= 0): it separates nothing, so nothing is pruned");
        double t = higherIsBetter ? alpha * top : top / alpha;
        for (int i = n; i >= 1; i--)
        {
            double s = scores[i - 1];
            bool below = higherIsBetter ? s < t : s > t;
            if (below)
            {
                int keep = Math.Min(i + 1, n);
                return new PruningDecision(n, keep, t, i, false,
                    $"layer {i} is the first from the top {(higherIsBetter ? "below" : "above")} the threshold {t:G4}: keep blocks 1..{keep}");
            }
        }
        return new PruningDecision(n, 1, t, null, false, $"no layer is {(higherIsBetter ? "below" : "above")} the threshold {t:G4}: keep block 1");
    }
}
