using System.Globalization;
using SlsPrune.Core;
using SlsPrune.Core.Evaluation;
using Spectre.Console;

namespace SlsPrune.Cli.Output;

/// <summary>Human rendering of an evaluation.</summary>
public static class EvalView
{
    private const int MaxRows = 20;

    /// <summary>A class's name where the data or the head names it, else its index.</summary>
    internal static string Name(EvalResult r, int c) =>
        r.ClassNames is { } names && c < names.Count ? names[c] : c.ToString(CultureInfo.InvariantCulture);

    public static void Render(IAnsiConsole console, EvalResult r)
    {
        static string N(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
        var grid = new Grid().AddColumn().AddColumn(new GridColumn().RightAligned());
        void Row(string k, string v) => grid.AddRow(new Markup($"[grey]{Markup.Escape(Printable.Escape(k))}[/]"), new Text(Printable.Escape(v)));
        Row("task / split", $"{r.Task} / {r.Split}");
        if (r.ClassNames is { } names) Row("classes", $"{names.Count}: {string.Join(", ", names.Take(10))}{(names.Count > 10 ? ", ..." : "")}");
        Row("top-1", $"{r.Top1 * 100:F2}% ({r.Correct}/{r.Images})");
        Row("blocks", r.Pruned ? $"{r.Blocks} of {r.Depth} (pruned)" : $"{r.Blocks}");
        Row("parameters", $"backbone {N(r.Parameters.Backbone)}, PETL {N(r.Parameters.Petl)}, head {N(r.Parameters.Head)}");
        Row("FLOPs / image", $"{r.FlopsPerImage / 1e6:F2} M");
        Row("stored per task", $"{N(r.Storage.PerTaskBytes)} bytes (PETL {N(r.Storage.PetlBytes)} + index {N(r.Storage.IndexBytes)}); backbone "
            + $"{N(r.Storage.BackboneBytes)} shared");
        foreach (var t in r.Throughput ?? [])
            Row($"batch {t.BatchSize}", $"{t.ImagesPerSecond:F1} img/s, {t.MedianLatencyMs:F2} ms median latency");
        if (r.Input is { } input) Row("input", $"{input.ImageSize} px ({input.Describe()})");
        Row("device", r.Device);
        Row("precision", r.Precision);
        if (r.PerClass is { Count: > 0 } pc)
        {
            var worst = pc.Where(c => c.Images > 0).OrderBy(c => c.Top1).FirstOrDefault();
            if (worst is not null) Row("weakest class", $"{Name(r, worst.Class)}: {worst.Top1 * 100:F1}% ({worst.Correct}/{worst.Images})");
        }
        if (r.Plots is { Count: > 0 } plots) Row("plots", $"{Plural.Of(plots.Count, "file")} (PNG and SVG) in {Path.GetDirectoryName(plots[0])}");
        console.Write(grid);
        if (r.PerClass is { Count: > 1 } all)
        {
            // every class up to MaxRows, else the weakest MaxRows (the rest are in --json)
            var shown = all.Count <= MaxRows ? all : all.Where(c => c.Images > 0).OrderBy(c => c.Top1).ThenBy(c => c.Class).Take(MaxRows).ToArray();
            var table = new Table().Border(TableBorder.Simple).AddColumn("class").AddColumn(new TableColumn("top-1 (correct/images)").RightAligned());
            table.Title = new TableTitle(all.Count <= MaxRows ? "per class"
                : $"the {MaxRows} weakest of {Plural.Of(all.Count, "class", "classes")} (all in --json)");
            foreach (var c in shown)
                table.AddRow(new Text(Printable.Escape(Name(r, c.Class))), new Text(c.Images == 0 ? "-"
                    : $"{c.Top1 * 100:F1}% ({c.Correct}/{c.Images})"));
            console.Write(table);
        }
    }
}
