using System.Globalization;
using SlsPrune.Core.Indexing;

namespace SlsPrune.Core.Pruning;

/// <summary>The per-layer table of the layer-scoring methods' sections (<see cref="IIndexSection.Table"/>): layer,
/// score (± its standard deviation), the curve the rule compared where that is not the score, the threshold, the
/// top-1 of the model cut there, and whether the block is kept.</summary>
public static class LayerTable
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <param name="layers">the layers scored (1-based), in the order shown.</param>
    /// <param name="compared">the curve the rule compared with the threshold, titled, where it is not the score.</param>
    public static SectionTable Build(PruningIndex index, IReadOnlyList<int> layers, Func<int, double> score, double? threshold,
        IReadOnlyList<double>? std = null, (string Title, IReadOnlyList<double> Values)? compared = null,
            (string Split, IReadOnlyList<double> Top1)? accuracy = null)
    {
        var columns = new List<string> { "layer", index.Metric };
        if (compared is { } c) columns.Add(c.Title);
        columns.Add(compared is null ? "threshold" : "threshold (on cumulative)");
        if (accuracy is { } a) columns.Add($"top-1 cut here ({a.Split})");
        columns.Add("block");
        string t = threshold is double th ? th.ToString("F4", Inv) : "-";
        var rows = layers.Select(l =>
        {
            var row = new List<string> { l.ToString(Inv), score(l).ToString("F4", Inv) + (std is { } sd ? " ± " + sd[l - 1].ToString("F4", Inv)
                : "") };
            if (compared is { } cc) row.Add(cc.Values[l - 1].ToString("F4", Inv));
            row.Add(t);
            if (accuracy is { } aa) row.Add(aa.Top1[l - 1].ToString("P1", Inv));
            row.Add(index.KeptBlocks.Contains(l) ? SectionTable.Kept : SectionTable.Pruned);
            return (IReadOnlyList<string>)row;
        }).ToList();
        return new SectionTable(columns, rows, Enumerable.Range(0, columns.Count - 1).ToHashSet());
    }

    /// <summary>Layers 1..depth.</summary>
    public static IReadOnlyList<int> All(PruningIndex index) => Enumerable.Range(1, index.Depth).ToArray();
}
