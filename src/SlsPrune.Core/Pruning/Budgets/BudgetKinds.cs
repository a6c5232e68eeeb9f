using System.Globalization;
using SlsPrune.Core.Indexing;

namespace SlsPrune.Core.Pruning.Budgets;

/// <summary>The budget kinds <c>--budget KEY=VALUE</c> takes.</summary>
public static class BudgetKinds
{
    public static readonly IReadOnlyList<IBudgetKind> All = [new FlopsBudget(), new ParamsBudget(), new LatencyBudget(), new DepthBudget()];

    public static string Names => string.Join(", ", All.Select(k => k.Name));

    /// <summary>The kind of this name, or null.</summary>
    public static IBudgetKind? Find(string name) => All.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase));

    internal static double Number(string value, string kind, string what)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw new SlsInputException("--budget", $"{kind}={Printable.Escape(value)}: {what}");
        return v;
    }
}

/// <summary>A fraction in (0, 1] of the full model's cost, counted analytically.</summary>
public abstract class FractionBudget : IBudgetKind
{
    public abstract string Name { get; }

    public string Syntax => $"{Name}=F (a fraction in (0, 1] of the full model's {Name})";

    public bool Measured => false;

    public double ParseLimit(string value)
    {
        double f = BudgetKinds.Number(value, Name, "not a number; a fraction in (0, 1] of the full model's is expected");
        if (!(f > 0 && f <= 1)) throw new SlsInputException("--budget", $"{Name}={Printable.Escape(value)}: a fraction in (0, 1] of the full model's is expected");
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
