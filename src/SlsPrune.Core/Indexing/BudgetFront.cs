using System.Globalization;

namespace SlsPrune.Core.Indexing;

/// <summary>The front of a budgeted index as a table, one row per depth: its cost (FLOPs and parameters as fractions of
/// the full model's, the measured latency with its spread), its accuracy without retraining and score where the
/// method's curve has them, whether it fits the budget, and which depth the policy chose and the alpha rule would.</summary>
public static class BudgetFront
{
    /// <summary>The table, or null for an index without a budget (or a width method's, whose budget chose a ratio).</summary>
    public static SectionTable? Table(PruningIndex index)
    {
        if (index.Budget is not { } b || b.Ratio is not null) return null; // a width method's budget set a ratio, not a depth
        var inv = CultureInfo.InvariantCulture;
        var curve = index.Section?.Curve(index);
        bool latency = b.Costs.Any(c => c.LatencyMs is not null);
        var columns = new List<string> { "blocks", "FLOPs", "params" };
        if (latency) columns.Add($"latency ms (batch {b.LatencyBatch})");
        if (curve?.Top1ByDepth is not null) columns.Add("top-1");
        if (curve is not null) columns.Add("score");
        columns.AddRange(["within budget", "choice"]);
        var full = b.Costs[^1];
        var rows = b.Costs.Select(c =>
        {
            var row = new List<string>
            {
                c.Blocks.ToString(inv),
                Share(c.Flops, full.Flops),
                Share(c.Params, full.Params),
            };
            if (latency)
                row.Add(c.LatencyMs is double ms ? $"{ms.ToString("0.###", inv)} ± {(c.LatencySpreadMs ?? 0).ToString("0.###", inv)}" : "-");
            if (curve?.Top1ByDepth is { } top1) row.Add(top1[c.Blocks - 1].ToString("P1", inv));
            if (curve is not null) row.Add(curve.Scores[c.Blocks - 1].ToString("0.####", inv));
            row.Add(Within(b, c) ? "yes" : "no");
            var marks = new List<string>();
            if (c.Blocks == b.Chosen) marks.Add($"chosen ({b.Policy})");
            if (c.Blocks == b.AlphaChoice) marks.Add("alpha rule");
            row.Add(string.Join(", ", marks));
            return (IReadOnlyList<string>)row;
        }).ToList();
        var right = Enumerable.Range(0, columns.Count - 2).ToHashSet();
        return new SectionTable(columns, rows, right);
    }

    /// <summary>Whether a depth fits: its own measurement for latency (which need not grow with depth), else it is no
    /// deeper than the deepest fitting cut.</summary>
    public static bool Within(BudgetRecord b, DepthCost c) => b.Kind == "latency" && c.LatencyMs is double ms ? ms <= b.Limit : c.Blocks <= b.Fits;

    private static string Share(long part, long whole) => whole == 0 ? "-" : ((double)part / whole).ToString("0.###", CultureInfo.InvariantCulture);
}
