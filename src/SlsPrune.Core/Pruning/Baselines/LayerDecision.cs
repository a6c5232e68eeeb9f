using SlsPrune.Core.Pruning.Sls;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>Kept blocks (1-based, ascending) and why.</summary>
public sealed record LayerChoice(int[] Kept, double? Threshold, string Reason);

/// <summary>
/// Turns a training-free scorer's per-layer values into kept blocks, by SLS's alpha rule or a fixed budget.
/// Depth-wise quality (probe accuracy) goes through <see cref="SlsPolicy"/> as it is. Per-block importance
/// (BI, 1 - CKA) goes through it as the cumulative importance up to each layer, which rises with depth like a
/// quality score: the kept depth is where alpha of the whole model's change is done. A budget of K blocks keeps
/// blocks 1..K for depth-wise scores and the K most important blocks for per-block importance (ShortGPT drops
/// the least influential blocks wherever they are).
/// </summary>
public static class LayerDecision
{
    /// <summary>How a decision made on cumulative importance starts (the table shows the cumulative curve for it).</summary>
    public const string CumulativeReason = "cumulative importance:";

    public static LayerChoice Choose(IReadOnlyList<double> scores, bool perBlockImportance, double alpha, int? keepBlocks)
    {
        int n = scores.Count;
        if (keepBlocks is int k)
        {
            if (k < 1 || k > n) throw new SlsInputException("--keep-blocks", $"must be within 1..{n}");
            if (!perBlockImportance) return new LayerChoice(Enumerable.Range(1, k).ToArray(), null, $"budget: keep blocks 1..{k}");
            var kept = WidthImportance.Top([.. scores], k).Select(i => i + 1).ToArray();
            var dropped = Enumerable.Range(1, n).Except(kept).ToList();
            return new LayerChoice(kept, null, dropped.Count == 0 ? $"budget: keep all {k} blocks, drop none"
                : $"budget: keep the {k} most important blocks, drop {string.Join(", ", dropped)}");
        }
        var curve = perBlockImportance ? Cumulative(scores) : [.. scores];
        var d = SlsPolicy.Decide(curve, alpha);
        string what = perBlockImportance ? CumulativeReason : "score:";
        return new LayerChoice(Enumerable.Range(1, d.KeptBlocks).ToArray(), d.Guarded ? null : d.Threshold, $"{what} {d.Reason}");
    }

    public static double[] Cumulative(IReadOnlyList<double> scores)
    {
        var c = new double[scores.Count];
        double sum = 0;
        for (int i = 0; i < c.Length; i++) c[i] = sum += scores[i];
        return c;
    }
}
