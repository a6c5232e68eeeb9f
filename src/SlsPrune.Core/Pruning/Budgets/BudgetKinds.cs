using System.Globalization;

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
