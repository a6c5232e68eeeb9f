using SlsPrune.Core.Indexing;

namespace SlsPrune.Core.Pruning.Budgets;

/// <summary>The depths a budget allows (those whose own cost is within it), and the two ways to choose among them.
/// FLOPs and parameters grow with depth, so the depths that fit are 1..<see cref="DeepestFitting"/>; measured latency
/// may not (noise), so a depth is allowed by its own measurement. The score policy keeps the deepest allowed depth
/// not deeper than the method's own: for FLOPs and parameters min(the rule's depth, the deepest fitting depth),
/// the deepest cut the rule allows within the budget (the rule keeps every block it needs; the budget cuts what does
/// not fit). The accuracy policy keeps the allowed depth of the best accuracy without retraining (ties: fewer
/// blocks).</summary>
public static class BudgetPolicy
{
    /// <summary>The deepest leading cut within <paramref name="budget"/>; 0 when none fits.</summary>
    public static int DeepestFitting(Budget budget, CostTable costs)
    {
        int deepest = 0;
        foreach (var row in costs.Rows)
            if (budget.Fits(row, costs.Full)) deepest = Math.Max(deepest, row.Blocks);
        return deepest;
    }

    /// <summary>The deepest fitting depth, or the refusal saying the smallest cost possible.</summary>
    /// <exception cref="SlsInputException">naming <c>--budget</c> when no depth fits.</exception>
    public static int Fitting(Budget budget, CostTable costs)
    {
        int fits = DeepestFitting(budget, costs);
        if (fits > 0) return fits;
        double smallest = costs.Rows.Min(r => budget.Kind.Cost(r, costs.Full));
        string unit = budget.Kind.Measured ? $" (batch {costs.LatencyBatch} on this machine)" : budget.Kind is FractionBudget
            ? $" of the full model's {budget.Kind.Name}" : "";
        throw new SlsInputException("--budget", $"no depth fits {budget.Text}: the smallest cut, 1 block, costs {budget.Kind.Format(smallest)}"
            + $"{unit}");
    }

    /// <summary>Whether each depth 1..N is within the budget ([k-1] for k blocks).</summary>
    public static bool[] Allowed(Budget budget, CostTable costs) => costs.Rows.Select(r => budget.Fits(r, costs.Full)).ToArray();

    /// <summary>The score policy: the deepest allowed depth not deeper than the rule's (for FLOPs and parameters
    /// min(rule, deepest fitting)); the shallowest allowed one where none is.</summary>
    public static int ByScore(int ruleDepth, IReadOnlyList<bool> allowed)
    {
        for (int k = Math.Min(ruleDepth, allowed.Count); k >= 1; k--) if (allowed[k - 1]) return k;
        for (int k = 1; k <= allowed.Count; k++) if (allowed[k - 1]) return k;
        throw new ArgumentException("no depth is allowed", nameof(allowed));
    }

    /// <summary>The accuracy policy: the allowed depth of the best <paramref name="top1"/> (index k-1 for k blocks),
    /// ties keeping fewer blocks.</summary>
    public static int ByAccuracy(IReadOnlyList<double> top1, IReadOnlyList<bool> allowed)
    {
        if (top1.Count != allowed.Count) throw new ArgumentException($"{top1.Count} accuracies for {allowed.Count} depths", nameof(top1));
        int best = 0;
        for (int k = 1; k <= allowed.Count; k++)
            if (allowed[k - 1] && (best == 0 || top1[k - 1] > top1[best - 1])) best = k;
        return best > 0 ? best : throw new ArgumentException("no depth is allowed", nameof(allowed));
    }

    /// <summary>What the index records of the budget and the choice.</summary>
    public static BudgetRecord Record(Budget budget, CostTable costs, string policy, int chosen, int? alphaChoice = null) => new()
    {
        Spec = budget.Text,
        Kind = budget.Kind.Name,
        Limit = budget.Limit,
        Policy = policy,
        Chosen = chosen,
        Fits = DeepestFitting(budget, costs),
        AlphaChoice = alphaChoice,
        LatencyBatch = costs.LatencyBatch,
        Costs = costs.Rows,
        Warning = costs.Warning,
    };
}
