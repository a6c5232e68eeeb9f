using System.Globalization;
using SlsPrune.Core.Pruning;
using Spectre.Console;

namespace SlsPrune.Cli.Output;

/// <summary>Human rendering of a prune result: per layer score, threshold, kept/pruned.</summary>
public static class PruneView
{
    public static void Render(IAnsiConsole console, PruneResult r)
    {
        var i = r.Index;
        var table = new Table().AddColumn(new TableColumn("layer").RightAligned()).AddColumn(new TableColumn(Markup.Escape(i.Metric)).RightAligned())
            .AddColumn(new TableColumn("threshold").RightAligned()).AddColumn("block");
        string t = i.Threshold is double th ? th.ToString("F4", CultureInfo.InvariantCulture) : "-";
        for (int l = 1; l <= i.Depth; l++)
            table.AddRow(l.ToString(CultureInfo.InvariantCulture), i.Scores[l - 1].ToString("F4", CultureInfo.InvariantCulture), t,
                l <= i.KeptBlocks.Count ? "kept" : "[grey]pruned[/]");
        console.Write(table);
        console.MarkupLine($"{Markup.Escape(i.Decision)}");
        console.MarkupLine($"Kept {i.KeptBlocks.Count} of {i.Depth} blocks; index written to [bold]{Markup.Escape(r.IndexPath)}[/]");
        if (r.FeaturesPath is not null) console.MarkupLine($"Features: {Markup.Escape(r.FeaturesPath)}");
        if (r.Plots.Count > 0) console.MarkupLine($"Plots: {r.Plots.Count} PNGs in {Markup.Escape(Path.GetDirectoryName(r.Plots[0])!)}");
    }
}
