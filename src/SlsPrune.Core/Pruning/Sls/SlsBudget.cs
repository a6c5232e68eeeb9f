using SlsPrune.Core.Indexing;
using SlsPrune.Core.Pruning.Budgets;

namespace SlsPrune.Core.Pruning.Sls;

/// <summary>SLS within a budget (<c>--budget</c>): the alpha policy keeps the deepest depth within the budget not
/// deeper than the rule's (for FLOPs and parameters min(the rule's depth, the deepest fitting depth)); the accuracy
/// policy keeps, among the depths within the budget, the one of the best accuracy without retraining (ties: fewer
/// blocks; <c>--max-drop</c> does not apply). The index records the budget, every depth's cost, the policy, its
/// choice and the alpha rule's own depth.</summary>
public static class SlsBudget
{
    /// <summary>The accuracy policy within the budget.</summary>
    public static PruningDecision ByAccuracy(PruneContext ctx, DepthAccuracy accuracy)
    {
        var budget = ctx.Budget ?? throw new InvalidOperationException("no budget");
        int k = BudgetPolicy.ByAccuracy(accuracy.Top1, BudgetPolicy.Allowed(budget, ctx.Costs!));
        return new PruningDecision(accuracy.Top1.Count, k, double.NaN, null, false,
            $"{k} of {accuracy.Top1.Count} blocks keep top-1 {accuracy.Top1[k - 1]:P1} on {accuracy.Split} without retraining, the best of the "
                + $"depths within budget {budget.Text}: keep blocks 1..{k}");
    }

    /// <summary>Cuts the alpha policy's <paramref name="kept"/> to the budget (the accuracy policy's is within it
    /// already) and says so in <paramref name="reason"/>; the index's budget record, or null without a budget.</summary>
    public static BudgetRecord? Apply(PruneContext ctx, SlsDecisionPolicy policy, ref int kept, ref string reason, int alphaDepth)
    {
        if (ctx.Budget is not { } budget) return null;
        var costs = ctx.Costs ?? throw new InvalidOperationException("a budget without its cost table");
        if (policy == SlsDecisionPolicy.Alpha)
        {
            int within = BudgetPolicy.ByScore(kept, BudgetPolicy.Allowed(budget, costs));
            reason += within == kept ? $"; within budget {budget.Text}" : $"; budget {budget.Text} cuts that to blocks 1..{within}, the deepest "
                + $"cut within it";
            kept = within;
        }
        return BudgetPolicy.Record(budget, costs, policy == SlsDecisionPolicy.Alpha ? "alpha" : "accuracy", kept, alphaDepth);
    }
}
