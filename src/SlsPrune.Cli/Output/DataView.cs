using System.Globalization;
using SlsPrune.Core;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.FashionMnist;
using Spectre.Console;

namespace SlsPrune.Cli.Output;

/// <summary>Human rendering of a generated benchmark.</summary>
public static class DataView
{
    public static void Render(IAnsiConsole console, FashionMnistResult r)
    {
        console.MarkupLine($"Upstream: {r.UpstreamImages.ToString("N0", CultureInfo.InvariantCulture)} images in [bold]"
            + $"{Markup.Escape(r.Upstream)}[/]");
        var table = new Table().AddColumn("task").AddColumn("group").AddColumn(new TableColumn("classes").RightAligned())
            .AddColumn(new TableColumn("size").RightAligned()).AddColumn(new TableColumn("train/val/test").RightAligned());
        foreach (var t in r.Tasks)
            table.AddRow(Markup.Escape(t.Name), t.Group, t.Classes.Count.ToString(CultureInfo.InvariantCulture),
                $"{t.ImageSize}x{t.ImageSize}", $"{t.Train}/{t.Val}/{t.Test}");
        console.Write(table);
        console.MarkupLine($"Tasks in [bold]{Markup.Escape(Path.Combine(r.Out, "tasks"))}[/] (seed {r.Seed})");
    }

    public static void Render(IAnsiConsole console, SplitResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        var table = new Table().AddColumn(new TableColumn("label").RightAligned()).AddColumn("class")
            .AddColumn(new TableColumn("images").RightAligned())
            .AddColumn(new TableColumn("train").RightAligned()).AddColumn(new TableColumn("val").RightAligned())
                .AddColumn(new TableColumn("test").RightAligned());
        for (int i = 0; i < r.Classes.Count; i++)
        {
            var c = r.Classes[i];
            table.AddRow(i.ToString(inv), Markup.Escape(Printable.Escape(c.Name)), c.Images.ToString(inv), c.Train.ToString(inv), c.Val.ToString(inv),
                c.Test.ToString(inv));
        }
        console.Write(table);
        console.MarkupLine($"Task folder [bold]{Markup.Escape(Printable.Escape(r.Out))}[/]: {r.Train} train, {r.Val} val, {r.Test} test images ("
            + $"{(r.Copied ? "copied" : "linked")}, seed {r.Seed}) from the {Markup.Escape(r.Layout)} {Markup.Escape(Printable.Escape(r.Source))}");
    }
}
