using System.Globalization;
using SlsPrune.Core.Data.FashionMnist;
using Spectre.Console;

namespace SlsPrune.Cli.Output;

/// <summary>Human rendering of a generated benchmark.</summary>
public static class DataView
{
    public static void Render(IAnsiConsole console, FashionMnistResult r)
    {
        console.MarkupLine($"Upstream: {r.UpstreamImages.ToString("N0", CultureInfo.InvariantCulture)} images in [bold]{Markup.Escape(r.Upstream)}[/]");
        var table = new Table().AddColumn("task").AddColumn("group").AddColumn(new TableColumn("classes").RightAligned())
            .AddColumn(new TableColumn("size").RightAligned()).AddColumn(new TableColumn("train/val/test").RightAligned());
        foreach (var t in r.Tasks)
            table.AddRow(Markup.Escape(t.Name), t.Group, t.Classes.Count.ToString(CultureInfo.InvariantCulture),
                $"{t.ImageSize}x{t.ImageSize}", $"{t.Train}/{t.Val}/{t.Test}");
        console.Write(table);
        console.MarkupLine($"Tasks in [bold]{Markup.Escape(Path.Combine(r.Out, "tasks"))}[/] (seed {r.Seed})");
    }
}
