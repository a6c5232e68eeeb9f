using System.Globalization;
using SlsPrune.Core.Indexing;

namespace SlsPrune.Core.Pruning.Budgets;

/// <summary>A fraction in (0, 1] of the full model's cost, counted analytically.</summary>
public abstract class FractionBudget : IBudgetKind
{
    public abstract string Name { get; }

    public string Syntax => $"{Name}=F (a fraction in (0, 1] of the full model's {Name})";

    public bool Measured => false;

    public double ParseLimit(string value)
    {
        double f = BudgetKinds.Number(value, Name, "not a number; a fraction in (0, 1] of the full model's is expected");
        if (!(f > 0 && f <= 1)) throw new SlsInputException("--budget", $"{Name}={Printable.Escape(value)}: a fraction in (0, 1] of the full "
            + $"model's is expected");
        return f;
    }

    public double Cost(DepthCost row, DepthCost full) => (double)Of(row) / Math.Max(1, Of(full));

    public string Format(double cost) => cost.ToString("0.####", CultureInfo.InvariantCulture);

    protected abstract long Of(DepthCost row);
}

/// <summary><c>flops=F</c>: FLOPs per image, as <c>sls eval</c> counts them.</summary>
public sealed class FlopsBudget : FractionBudget
{
    public override string Name => "flops";

    protected override long Of(DepthCost row) => row.Flops;
}

/// <summary><c>params=F</c>: parameters of the cut model (backbone, PETL modules and head).</summary>
public sealed class ParamsBudget : FractionBudget
{
    public override string Name => "params";

    protected override long Of(DepthCost row) => row.Params;
}
