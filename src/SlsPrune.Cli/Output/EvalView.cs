using System.Globalization;
using SlsPrune.Core.Evaluation;
using SlsPrune.Core;
using Spectre.Console;

namespace SlsPrune.Cli.Output;

/// <summary>Human rendering of an evaluation.</summary>
public static class EvalView
{
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
        Row("stored per task", $"{N(r.Storage.PerTaskBytes)} bytes (PETL {N(r.Storage.PetlBytes)} + index {N(r.Storage.IndexBytes)}); backbone {N(r.Storage.BackboneBytes)} shared");
        foreach (var t in r.Throughput ?? [])
            Row($"batch {t.BatchSize}", $"{t.ImagesPerSecond:F1} img/s, {t.MedianLatencyMs:F2} ms median latency");
        if (r.Input is { } input) Row("input", $"{input.ImageSize} px ({input.Describe()})");
        Row("device", r.Device);
        Row("precision", r.Precision);
        if (r.PerClass is { Count: > 0 } pc)
        {
            var worst = pc.Where(c => c.Images > 0).OrderBy(c => c.Top1).FirstOrDefault();
            if (worst is not null) Row("weakest class", $"{worst.Class}: {worst.Top1 * 100:F1}% ({worst.Correct}/{worst.Images})");
        }
        if (r.Plots is { Count: > 0 } plots) Row("plots", $"{Plural.Of(plots.Count, "file")} (PNG and SVG) in {Path.GetDirectoryName(plots[0])}");
        console.Write(grid);
    }
}
