using SlsPrune.Core.Indexing;
using SlsPrune.Core.Models;
using SlsPrune.Core.Pruning.Budgets;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>A width method's ratio from <c>--budget flops=F</c> or <c>params=F</c>: every block's cost is about linear
/// in the heads and MLP units it keeps, so the first ratio is the one that scales the blocks' share of the full model
/// to the budget (what lies outside the blocks, the embedding and the head, is not cut); the model those widths give
/// is then counted exactly (as <c>sls eval</c> counts it), and the ratio raised until it fits, whole heads and units
/// rounded. The index records the ratio and the narrowed model's exact cost.</summary>
public static class WidthBudget
{
    /// <summary>The kinds a width method takes: what a ratio of heads and units moves.</summary>
    public static readonly IReadOnlyCollection<string> Kinds = ["flops", "params"];

    private const int MaxTries = 12;

    /// <exception cref="SlsInputException">naming <c>--budget</c> when even the narrowest blocks do not fit.</exception>
    public static (double Ratio, List<BlockWidthEntry> Widths, BudgetRecord Record) Fit(PruneContext ctx, Budget budget,
        Func<double, List<BlockWidthEntry>> widthsAt, Func<List<BlockWidthEntry>, ModelPlan> planOf)
    {
        var costs = ctx.Costs ?? throw new InvalidOperationException("a budget without its cost table");
        var model = ctx.Model.Model;
        bool flops = budget.Kind.Name == "flops";
        double full = flops ? costs.Full.Flops : costs.Full.Params;
        double outside = flops ? model.FlopsOfLeading(0) : model.ParametersOfLeading(0);
        double target = budget.Limit * full, blocks = full - outside;
        double ratio = Math.Clamp(1 - (target - outside) / blocks, 0, 0.999);
        for (int tries = 0; ; tries++)
        {
            var widths = widthsAt(ratio);
            var cost = Count(ctx, planOf(widths));
            double of = flops ? cost.Flops : cost.Params;
            if (of <= target * (1 + 1e-12))
            {
                var record = BudgetPolicy.Record(budget, costs, "ratio", ctx.Model.FullDepth) with
                {
                    Fits = ctx.Model.FullDepth,
                    Ratio = ratio,
                    Achieved = cost
                };
                return (ratio, widths, record);
            }
            if (ratio >= 0.999 || tries == MaxTries)
                throw new SlsInputException("--budget", $"no width fits {budget.Text}: the narrowest blocks tried (ratio {ratio:0.###}) cost "
                    + $"{of / full:0.####} of the full model's {budget.Kind.Name}"
                    + $" (what lies outside the blocks alone costs {outside / full:0.####})");
            ratio = Math.Min(0.999, ratio + Math.Max((of - target) / blocks, 0.01));
        }
    }

    /// <summary>FLOPs and parameters of the model narrowed to the plan, counted on the model as built.</summary>
    private static DepthCost Count(PruneContext ctx, ModelPlan plan)
    {
        using var narrowed = ModelFactory.Build(ctx.Options.Model with { Device = "cpu" }, plan: plan);
        return new DepthCost(ctx.Model.FullDepth, narrowed.Model.FlopsPerImage(), ParameterCounts.Of(narrowed.Model).Total);
    }
}
