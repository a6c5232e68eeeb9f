using SlsPrune.Core.Indexing;

namespace SlsPrune.Core.Pruning.Budgets;

/// <summary>A budget as <c>--budget KEY=VALUE</c> (or a manifest's <c>budget</c>) gives it: its kind, its limit in the
/// kind's unit, and the text as written.</summary>
public sealed record Budget(IBudgetKind Kind, double Limit, string Text)
{
    /// <summary>Reads <c>flops=0.6</c>, <c>params=0.5</c>, <c>latency=5ms</c>, <c>depth=4</c>.</summary>
    /// <exception cref="SlsInputException">naming <c>--budget</c>: an unknown key, a malformed or out-of-range value.</exception>
    public static Budget Parse(string text)
    {
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0) throw new SlsInputException("--budget", $"'{Printable.Escape(text)}' is not KEY=VALUE (keys: {BudgetKinds.Names}; e.g. "
            + $"flops=0.6)");
        string key = text[..eq].Trim(), value = text[(eq + 1)..].Trim();
        var kind = BudgetKinds.Find(key) ?? throw new SlsInputException("--budget",
            $"unknown key '{Printable.Escape(key)}' (known: {BudgetKinds.Names})");
        return new Budget(kind, kind.ParseLimit(value), $"{kind.Name}={value}");
    }

    public override string ToString() => Text;

    /// <summary>Whether the cut <paramref name="row"/> is within the budget.</summary>
    public bool Fits(DepthCost row, DepthCost full) => Kind.Cost(row, full) <= Limit * (1 + 1e-12);
}
