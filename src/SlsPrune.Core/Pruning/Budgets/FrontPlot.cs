using SlsPrune.Core.Indexing;
using SlsPrune.Core.Plotting;

namespace SlsPrune.Core.Pruning.Budgets;

/// <summary>The front figure's data from a budgeted index (its cost table, and the method's curve: scores and the
/// accuracy of every depth), and <c>front.png</c> / <c>front.svg</c> written beside the other plots.</summary>
public static class FrontPlot
{
    /// <summary>The figure's data, or null for an index without a budget (or a width method's).</summary>
    public static FrontFigureData? Data(PruningIndex index, string? task = null)
    {
        if (index.Budget is not { } b || b.Ratio is not null) return null; // a width method's budget set a ratio, not a depth
        var curve = index.Section?.Curve(index);
        var full = b.Costs[^1];
        bool latency = b.Costs.All(c => c.LatencyMs is not null);
        string title = $"{task ?? index.Calibration.Task}: {index.Method}, budget {b.Spec} ({b.Policy} policy): {b.Chosen} of {b.Costs.Count} blocks";
        return new FrontFigureData(title, b.Costs.Select(c => full.Flops == 0 ? 0 : (double)c.Flops / full.Flops).ToArray(),
            latency ? b.Costs.Select(c => c.LatencyMs!.Value).ToArray() : null,
            curve?.Top1ByDepth?.Select(a => 100 * a).ToArray(), curve?.Scores, index.Metric, b.Chosen, b.AlphaChoice,
            b.Kind == "flops" ? b.Limit : null, b.Kind == "latency" ? b.Limit : null);
    }

    /// <summary>Writes <c>DIR/front.png</c> and <c>DIR/front.svg</c> for a budgeted index; nothing otherwise.</summary>
    public static IReadOnlyList<string> Write(string dir, PruningIndex index, string? task = null) =>
        Data(index, task) is { } d ? FrontFigure.Render(d).Save(dir, "front") : [];
}
