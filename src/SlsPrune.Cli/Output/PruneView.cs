using System.Globalization;
using SlsPrune.Core;
using SlsPrune.Core.Indexing;
using SlsPrune.Core.Pruning;
using Spectre.Console;

namespace SlsPrune.Cli.Output;

/// <summary>Human rendering of a prune result: the method's own table and lines (its index section: per layer score,
/// threshold, kept/pruned; steps), the widths, the calibration and the decision.</summary>
public static class PruneView
{
    public static void Render(IAnsiConsole console, PruneResult r)
    {
        var i = r.Index;
        var inv = CultureInfo.InvariantCulture;
        // what the method recorded of its own: its per-layer table and lines (SLS's alpha sweep, aglp's steps, ...)
        if (i.Section?.Table(i) is { } own) Write(console, own);
        foreach (var line in i.Section?.Summary(i) ?? []) console.MarkupLine(Markup.Escape(Printable.Escape(line)));
        // the budget's front: every depth's cost, accuracy and score, what fits, what the policy and the alpha rule chose
        if (BudgetFront.Table(i) is { } front) Write(console, front);
        if (i.Budget is { } budget)
        {
            console.MarkupLine(Markup.Escape(Printable.Escape(budget.Describe())));
            if (budget.Warning is { } noisy) console.MarkupLine($"[yellow]{Markup.Escape(Printable.Escape(noisy))}[/]");
        }
        if (i.Width is { } width)
        {
            var table = new Table().AddColumn(new TableColumn("block").RightAligned()).AddColumn("heads kept")
                .AddColumn(new TableColumn("MLP units kept").RightAligned());
            foreach (var w in width)
                table.AddRow(w.Block.ToString(inv), string.Join(",", w.Heads), w.MlpUnits.Count.ToString(inv));
            console.Write(table);
        }
        var c = i.Calibration;
        string classes = i.ClassNames is { } names ? $": {string.Join(", ", names.Take(10))}{(names.Count > 10 ? ", ..." : "")}" : "";
        console.MarkupLine(Markup.Escape(Printable.Escape($"Calibration: {c.Samples} images of {c.Task} / {c.Split}"
            + $"{(c.Layout is null ? "" : $" ({c.Layout})")}, {Plural.Of(c.Classes, "class", "classes")}{classes}")));
        if (i.Input is { } input) console.MarkupLine(Markup.Escape(Printable.Escape($"Input: {input.ImageSize} px ({input.Describe()})")));
        if (r.CalibrationList is not null) console.MarkupLine($"Images used: [bold]{Markup.Escape(Printable.Escape(r.CalibrationList))}[/]"
            + $"{(c.Sampled is null ? "" : $" ({Markup.Escape(Printable.Escape(c.Sampled))})")}");
        console.MarkupLine($"{Markup.Escape(Printable.Escape(i.Decision))}");
        console.MarkupLine($"Method {Markup.Escape(Printable.Escape(i.Method))}: kept blocks {string.Join(",", i.KeptBlocks)} of {i.Depth}; index "
            + $"written to [bold]{Markup.Escape(Printable.Escape(r.IndexPath))}[/]");
        if (r.PetlPath is not null) console.MarkupLine($"New PETL file: [bold]{Markup.Escape(Printable.Escape(r.PetlPath))}[/] (use it with this "
            + $"index)");
        foreach (var more in r.MoreIndexPaths ?? []) console.MarkupLine($"Index for another alpha: [bold]{Markup.Escape(Printable.Escape(more))}[/]");
        if (r.FeaturesPath is not null) console.MarkupLine($"Features: {Markup.Escape(Printable.Escape(r.FeaturesPath))}");
        if (r.Plots.Count > 0) console.MarkupLine($"Plots: {Plural.Of(r.Plots.Count, "file")} (PNG and SVG) in "
            + $"{Markup.Escape(Printable.Escape(Path.GetDirectoryName(r.Plots[0])!))}");
    }

    private static void Write(IAnsiConsole console, SectionTable own)
    {
        var table = new Table();
        for (int col = 0; col < own.Columns.Count; col++)
        {
            var column = new TableColumn(Markup.Escape(Printable.Escape(own.Columns[col])));
            table.AddColumn(own.RightAligned.Contains(col) ? column.RightAligned() : column);
        }
        foreach (var row in own.Rows)
            table.AddRow(row.Select(cell => cell == SectionTable.Pruned ? "[grey]pruned[/]" : Markup.Escape(Printable.Escape(cell))).ToArray());
        console.Write(table);
    }
}
