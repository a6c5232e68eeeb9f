using System.Globalization;
using SlsPrune.Core;
using SlsPrune.Core.Pruning;
using SlsPrune.Core.Pruning.Baselines;
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
            // bi and cka score each block; their alpha rule compares the cumulative importance up to each layer with the
            // threshold (LayerDecision), so that is the column shown beside it, labelled
            bool cumulative = i.Decision.StartsWith(LayerDecision.CumulativeReason, StringComparison.Ordinal);
            var curve = cumulative ? LayerDecision.Cumulative(scores) : null;
            var table = new Table().AddColumn(new TableColumn("layer").RightAligned()).AddColumn(new TableColumn(Markup.Escape(Printable.Escape(i.Metric))).RightAligned());
            if (cumulative) table.AddColumn(new TableColumn("cumulative (compared)").RightAligned());
            table.AddColumn(new TableColumn(cumulative ? "threshold (on cumulative)" : "threshold").RightAligned());
            if (i.DepthAccuracy is { } acc) table.AddColumn(new TableColumn(Markup.Escape($"top-1 cut here ({Printable.Escape(acc.Split)})")).RightAligned());
            table.AddColumn("block");
            string t = i.Threshold is double th ? th.ToString("F4", inv) : "-";
            for (int l = 1; l <= i.Depth; l++)
            {
                string score = scores[l - 1].ToString("F4", inv) + (i.ScoreStd is { } sd ? " ± " + sd[l - 1].ToString("F4", inv) : "");
                var row = new List<string> { l.ToString(inv), score };
                if (curve is not null) row.Add(curve[l - 1].ToString("F4", inv));
                row.Add(t);
                if (i.DepthAccuracy is { } a) row.Add(a.Top1[l - 1].ToString("P1", inv));
                row.Add(i.KeptBlocks.Contains(l) ? "kept" : "[grey]pruned[/]");
                table.AddRow(row.ToArray());
            }
            console.Write(table);
            if (i.AlphaSweep is { } sweep)
                console.MarkupLine("Alpha sweep (blocks kept): " + Markup.Escape(string.Join(", ", sweep.Select(st => $"({st.From.ToString("0.###", inv)}, {st.To.ToString("0.###", inv)}] -> {st.Kept}"))));
        }
        else if (i.ScoresFromTop is { } fromTop)
        {
            // --scoring needed: the layers scored from the top down; the rest were not read by the rule
            var table = new Table().AddColumn(new TableColumn("layer").RightAligned()).AddColumn(new TableColumn(Markup.Escape(Printable.Escape(i.Metric))).RightAligned())
                .AddColumn(new TableColumn("threshold").RightAligned()).AddColumn("block");
            string t = i.Threshold is double th ? th.ToString("F4", inv) : "-";
            foreach (var ls in fromTop.OrderBy(x => x.Layer))
                table.AddRow(ls.Layer.ToString(inv), ls.Score.ToString("F4", inv), t, i.KeptBlocks.Contains(ls.Layer) ? "kept" : "[grey]pruned[/]");
            console.Write(table);
            int lowest = fromTop.Min(x => x.Layer);
            console.MarkupLine(Markup.Escape($"Layers 1..{lowest - 1} not scored (--scoring needed: the rule reads only the layers above); blocks 1..{lowest - 1} kept."));
        }
        if (i.Width is { } width)
        {
            var table = new Table().AddColumn(new TableColumn("block").RightAligned()).AddColumn("heads kept").AddColumn(new TableColumn("MLP units kept").RightAligned());
            foreach (var w in width)
                table.AddRow(w.Block.ToString(inv), string.Join(",", w.Heads), w.MlpUnits.Count.ToString(inv));
            console.Write(table);
        }
        foreach (var step in i.Steps ?? []) console.MarkupLine(Markup.Escape(Printable.Escape(step)));
        var c = i.Calibration;
        string classes = i.ClassNames is { } names ? $": {string.Join(", ", names.Take(10))}{(names.Count > 10 ? ", ..." : "")}" : "";
        console.MarkupLine(Markup.Escape(Printable.Escape($"Calibration: {c.Samples} images of {c.Task} / {c.Split}{(c.Layout is null ? "" : $" ({c.Layout})")}, {Plural.Of(c.Classes, "class", "classes")}{classes}")));
        if (i.Input is { } input) console.MarkupLine(Markup.Escape(Printable.Escape($"Input: {input.ImageSize} px ({input.Describe()})")));
        if (r.CalibrationList is not null) console.MarkupLine($"Images used: [bold]{Markup.Escape(Printable.Escape(r.CalibrationList))}[/]{(c.Sampled is null ? "" : $" ({Markup.Escape(Printable.Escape(c.Sampled))})")}");
        console.MarkupLine($"{Markup.Escape(Printable.Escape(i.Decision))}");
        console.MarkupLine($"Method {Markup.Escape(Printable.Escape(i.Method))}: kept blocks {string.Join(",", i.KeptBlocks)} of {i.Depth}; index written to [bold]{Markup.Escape(Printable.Escape(r.IndexPath))}[/]");
        if (r.PetlPath is not null) console.MarkupLine($"New PETL file: [bold]{Markup.Escape(Printable.Escape(r.PetlPath))}[/] (use it with this index)");
        if (i.PrunedTensorBytes is long b) console.MarkupLine($"The index stores kept-index lists; storing the pruned tensors instead would take {b:N0} bytes per task");
        foreach (var more in r.MoreIndexPaths ?? []) console.MarkupLine($"Index for another alpha: [bold]{Markup.Escape(Printable.Escape(more))}[/]");
        if (r.FeaturesPath is not null) console.MarkupLine($"Features: {Markup.Escape(Printable.Escape(r.FeaturesPath))}");
        if (r.Plots.Count > 0) console.MarkupLine($"Plots: {Plural.Of(r.Plots.Count, "file")} (PNG and SVG) in {Markup.Escape(Printable.Escape(Path.GetDirectoryName(r.Plots[0])!))}");
    }
}
