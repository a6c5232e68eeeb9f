using System.Globalization;
using SlsPrune.Core.Indexing;

namespace SlsPrune.Core.Pruning.Budgets;

/// <summary><c>latency=5ms</c>: the median time of one batch through the cut model, measured on this machine.</summary>
public sealed class LatencyBudget : IBudgetKind
{
    public string Name => "latency";

    public string Syntax => "latency=Tms (milliseconds per batch of --latency-batch images, measured here)";

    public bool Measured => true;

    public double ParseLimit(string value)
    {
        string number = value.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? value[..^2] : value;
        double ms = BudgetKinds.Number(number.Trim(), Name, "not a time; milliseconds such as 5ms are expected");
        if (!(ms > 0)) throw new SlsInputException("--budget", $"latency={Printable.Escape(value)}: a positive time in milliseconds is expected");
        return ms;
    }

    public double Cost(DepthCost row, DepthCost full) => row.LatencyMs ?? throw new InvalidOperationException("latency was not measured");

    public string Format(double cost) => cost.ToString("0.###", CultureInfo.InvariantCulture) + " ms";
}
