namespace SlsPrune.Core.Pruning.Baselines;

/// <summary><c>--method depgraph</c>: width pruning of heads and MLP units (DepGraph / Torch-Pruning style).</summary>
public sealed class DepGraphMethod : PruneMethod<WidthOptions>
{
    public override string Name => "depgraph";

    public override string Description => "width pruning of heads and MLP units by Taylor, L1, L2 or random importance";

    public override Indexing.IIndexSectionFormat Section { get; } = new WidthSectionFormat();

    protected override IEnumerable<string?> Inputs(WidthOptions o) => [o.MatchIndex];

    protected override void Validate(WidthOptions o, Budgets.Budget? budget) => WidthPruner.Validate(o, Name, spa: false, budget);

    /// <summary>flops and params, as the ratio (<see cref="WidthBudget"/>).</summary>
    public override IReadOnlyCollection<string> BudgetKinds => WidthBudget.Kinds;

    public override bool BudgetCutsDepth => false;

    protected override MethodOutput Run(PruneContext ctx, WidthOptions o) => WidthPruner.Run(ctx, o, spa: false, petlOut: null);
}
