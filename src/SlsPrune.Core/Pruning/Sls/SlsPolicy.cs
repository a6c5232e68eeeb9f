using SlsPrune.Core.Fem;
using SlsPrune.Core.Indexing;

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
    /// <summary>The alpha rule with alpha above 1: the threshold is past the top layer's score, so the top layer falls
    /// below it and every block is kept. Said, since it is almost always a typo for a fraction.</summary>
    public static string? AlphaAboveOne(IEnumerable<double> alphas) => alphas.FirstOrDefault(a => a > 1) is double above and > 1
            ? $"--alpha {above.ToString(System.Globalization.CultureInfo.InvariantCulture)} is above 1: the threshold lies beyond the top layer's "
                + $"own score, so the rule stops at the top layer and every block is kept (alpha is a fraction: 0 < alpha <= 1)"
            : null;

    public const double DefaultAlpha = 0.3;

    /// <param name="scores">score of layers 1..N (index 0 is layer 1).</param>
    public static PruningDecision Decide(IReadOnlyList<double> scores, double alpha, IClusterMetric? metric = null)
    {
        int n = scores.Count;
        if (n == 0) throw new ArgumentException("no layers to decide on", nameof(scores));
        if (!(alpha > 0) || double.IsInfinity(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), "alpha must be positive");
        double top = scores[n - 1];
        bool higherIsBetter = (metric ?? ClusterMetrics.Default).HigherIsBetter;
        if (top <= 0 || double.IsNaN(top))
            return new PruningDecision(n, n, double.NaN, null, true,
                $"the top layer's {(metric ?? ClusterMetrics.Default).Name} score is {top:G4} (<= 0): it separates nothing, so nothing is pruned");
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

    /// <summary>Whether <see cref="Decide"/> needs the score of layer <paramref name="lowest"/> - 1, given the scores of
    /// layers <paramref name="lowest"/>..n (1-based; the entries below them are not read). It does not once the top
    /// layer's score guards the decision (&lt;= 0), once a scored layer is past the threshold (the first from the top
    /// decides), or at layer 1. Scoring from the top down until this is false reads exactly the layers Decide reads, as
    /// the SLS reference loop does.</summary>
    public static bool NeedsLayerBelow(IReadOnlyList<double> scores, int lowest, double alpha, IClusterMetric? metric = null)
    {
        int n = scores.Count;
        if (lowest < 1 || lowest > n) throw new ArgumentOutOfRangeException(nameof(lowest), $"layer {lowest} is not within 1..{n}");
        double top = scores[n - 1];
        if (lowest == 1 || top <= 0 || double.IsNaN(top)) return false;
        bool higherIsBetter = (metric ?? ClusterMetrics.Default).HigherIsBetter;
        double t = higherIsBetter ? alpha * top : top / alpha;
        for (int i = n; i >= lowest; i--)
            if (higherIsBetter ? scores[i - 1] < t : scores[i - 1] > t) return false;
        return true;
    }

    /// <summary>The kept depth as a function of alpha over (0, 1], from one set of scores: the rule changes its
    /// decision only where the threshold passes a layer's score, at alpha = score_i / score_N (Davies-Bouldin:
    /// DB_N / DB_i), so deciding once inside each interval between those points gives the whole step function.
    /// Adjacent intervals with the same decision are joined.</summary>
    public static IReadOnlyList<AlphaStep> Sweep(IReadOnlyList<double> scores, IClusterMetric? metric = null)
    {
        if (scores.Count == 0) throw new ArgumentException("no layers to decide on", nameof(scores));
        double top = scores[^1];
        bool higher = (metric ?? ClusterMetrics.Default).HigherIsBetter;
        var points = scores.Select(s => higher ? s / top : top / s)
            .Where(r => r > 0 && r < 1 && double.IsFinite(r)).Append(0).Append(1).Distinct().Order().ToList();
        var steps = new List<AlphaStep>();
        for (int i = 0; i + 1 < points.Count; i++)
        {
            double from = points[i], to = points[i + 1];
            int kept = Decide(scores, (from + to) / 2, metric).KeptBlocks;
            if (steps.Count > 0 && steps[^1].Kept == kept) steps[^1] = steps[^1] with { To = to };
            else steps.Add(new AlphaStep(from, to, kept));
        }
        return steps;
    }

    /// <summary>The accuracy policy: the fewest leading blocks whose top-1 without retraining (<paramref name="top1"/>,
    /// index k-1 for k blocks) is within <paramref name="maxDropPoints"/> percentage points of the full model's.</summary>
    public static PruningDecision DecideByAccuracy(IReadOnlyList<double> top1, double maxDropPoints, string split)
    {
        if (top1.Count == 0) throw new ArgumentException("no depths to decide on", nameof(top1));
        if (!(maxDropPoints >= 0) || double.IsInfinity(maxDropPoints)) throw new SlsInputException("--max-drop",
            $"must be a non-negative number of points (got {maxDropPoints})");
        double full = top1[^1], floor = full - maxDropPoints / 100;
        int keep = Enumerable.Range(1, top1.Count).First(k => top1[k - 1] >= floor - 1e-12);
        return new PruningDecision(top1.Count, keep, floor, null, false,
            $"{keep} of {top1.Count} blocks keep top-1 {top1[keep - 1]:P1} on {split} without retraining, within {maxDropPoints:G3} points of the "
                + $"full model's {full:P1}: keep blocks 1..{keep}");
    }
}
