using System.Globalization;
using SlsPrune.Core;
using SlsPrune.Core.Pruning;
using Spectre.Console;

namespace SlsPrune.Cli.Output;

/// <summary>Human rendering of a prune result: per layer score, threshold, kept/pruned; widths and steps for
/// the methods that have them.</summary>
public static class PruneView
{
    public static void Render(IAnsiConsole console, PruneResult r)
    {
        var i = r.Index;
        var inv = CultureInfo.InvariantCulture;
        if (i.Scores is { } scores)
        {
            var table = new Table().AddColumn(new TableColumn("layer").RightAligned()).AddColumn(new TableColumn(Markup.Escape(Printable.Escape(i.Metric))).RightAligned())
                .AddColumn(new TableColumn("threshold").RightAligned()).AddColumn("block");
            string t = i.Threshold is double th ? th.ToString("F4", inv) : "-";
            for (int l = 1; l <= i.Depth; l++)
                table.AddRow(l.ToString(inv), scores[l - 1].ToString("F4", inv), t, i.KeptBlocks.Contains(l) ? "kept" : "[grey]pruned[/]");
            console.Write(table);
        }
        if (i.Width is { } width)
        {
            var table = new Table().AddColumn(new TableColumn("block").RightAligned()).AddColumn("heads kept").AddColumn(new TableColumn("MLP units kept").RightAligned());
            foreach (var w in width)
                table.AddRow(w.Block.ToString(inv), string.Join(",", w.Heads), w.MlpUnits.Count.ToString(inv));
            console.Write(table);
        }
        foreach (var step in i.Steps ?? []) console.MarkupLine(Markup.Escape(Printable.Escape(step)));
        console.MarkupLine($"{Markup.Escape(Printable.Escape(i.Decision))}");
        console.MarkupLine($"Method {Markup.Escape(Printable.Escape(i.Method))}: kept blocks {string.Join(",", i.KeptBlocks)} of {i.Depth}; index written to [bold]{Markup.Escape(r.IndexPath)}[/]");
        if (r.PetlPath is not null) console.MarkupLine($"New PETL file: [bold]{Markup.Escape(r.PetlPath)}[/] (use it with this index)");
        if (i.PrunedTensorBytes is long b) console.MarkupLine($"The index stores kept-index lists; storing the pruned tensors instead would take {b:N0} bytes per task");
        if (r.FeaturesPath is not null) console.MarkupLine($"Features: {Markup.Escape(r.FeaturesPath)}");
        if (r.Plots.Count > 0) console.MarkupLine($"Plots: {r.Plots.Count} files (PNG and SVG) in {Markup.Escape(Path.GetDirectoryName(r.Plots[0])!)}");
    }
}
