using SlsPrune.Core.IO;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary><c>--method spa</c>: structured pruning adapters, width pruning of a SPLoRA model by |W + s B A|
/// (Hedegaard et al.), writing the masked adapters.</summary>
public sealed class SpaMethod : PruneMethod<SpaOptions>
{
    public override string Name => "spa";

    public override string Description => "structured pruning adapters: width pruning of a SPLoRA model by |W + s B A|";

    public override Indexing.IIndexSectionFormat Section { get; } = new WidthSectionFormat();

    protected override IEnumerable<OutputTarget> Outputs(PruneOptions run, SpaOptions o) =>
        [new OutputTarget(o.PetlOut ?? PruneContext.DefaultPetlOut(run.Out), "--petl-out")];

    protected override IEnumerable<string?> Inputs(SpaOptions o) => [o.MatchIndex];

    protected override void Validate(SpaOptions o, Budgets.Budget? budget) => WidthPruner.Validate(o, Name, spa: true, budget);

    /// <summary>flops and params, as the ratio (<see cref="WidthBudget"/>).</summary>
    public override IReadOnlyCollection<string> BudgetKinds => WidthBudget.Kinds;

    public override bool BudgetCutsDepth => false;

    protected override MethodOutput Run(PruneContext ctx, SpaOptions o) => WidthPruner.Run(ctx, o, spa: true, petlOut: o.PetlOut);
}
