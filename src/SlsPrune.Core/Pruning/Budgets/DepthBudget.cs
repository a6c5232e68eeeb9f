using System.Globalization;
using SlsPrune.Core.Indexing;

namespace SlsPrune.Core.Pruning.Budgets;

/// <summary><c>depth=N</c>: at most N leading blocks.</summary>
public sealed class DepthBudget : IBudgetKind
{
    public string Name => "depth";

    public string Syntax => "depth=N (at most N blocks)";

    public bool Measured => false;

    public double ParseLimit(string value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
            throw new SlsInputException("--budget", $"depth={Printable.Escape(value)}: a whole number of blocks, at least 1, is expected");
        return n;
    }

    public double Cost(DepthCost row, DepthCost full) => row.Blocks;

    public string Format(double cost) => cost.ToString("0", CultureInfo.InvariantCulture) + (cost == 1 ? " block" : " blocks");
}
