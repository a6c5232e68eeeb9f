using System.Globalization;
using SlsPrune.Core;
using SlsPrune.Core.Inspection;
using SlsPrune.Core.Models;
using Spectre.Console;

namespace SlsPrune.Cli.Output;

/// <summary>Human rendering of an <see cref="InspectReport"/>.</summary>
public static class InspectView
{
    public static void Render(IAnsiConsole console, InspectReport report)
    {
        Render(console, report.Checkpoint);
        if (report.PetlFile is not null)
        {
            console.WriteLine();
            Render(console, report.PetlFile);
        }
        if (report.Combined is { } c)
        {
            console.WriteLine();
            console.MarkupLine($"[bold]Model[/] backbone {N(c.Backbone)} + PETL {N(c.Petl)} + head {N(c.Head)} = {N(c.Total)} parameters; per task "
                + $"stored: {N(c.Petl + c.Head)}");
        }
    }

    private static void Render(IAnsiConsole console, CheckpointReport r)
    {
        var grid = new Grid().AddColumn().AddColumn();
        void Row(string k, string v) => grid.AddRow(new Markup($"[grey]{Markup.Escape(Printable.Escape(k))}[/]"), new Text(Printable.Escape(v)));
        Row("file", r.Path);
        if (r.WeightsFile is not null) Row("weights", r.WeightsFile);
        Row("format", r.Format);
        Row("layout", r.Architecture is { } fam ? $"{r.Layout} (family {fam.Kind})" : $"{r.Layout} (no backbone family)");
        Row("size", $"{N(r.Bytes)} bytes");
        Row("sha256", r.Sha256);
        Row("tensors", N(r.TensorCount));
        Row("dtypes", string.Join(", ", r.ParametersByDtype.Select(kv => $"{kv.Key} {N(kv.Value)}")));
        if (r.Architecture is { } a)
        {
            Row("architecture", $"{a.Variant ?? (BackboneFamilies.Named(a.Kind)?.Title ?? a.Kind) + " (not a table variant)"}: patch "
                + $"{a.PatchSize}, {a.ImageSize}x{a.ImageSize} input ({a.GridSize}x{a.GridSize} grid, {a.Tokens} tokens)");
            Row("", $"width {a.Width}, depth {a.Depth}, heads {(a.Heads?.ToString(CultureInfo.InvariantCulture) ?? "unknown (give --heads)")}, MLP "
                + $"{a.MlpHidden}");
            if (a.Input is { } input) Row("", $"input size {input.ImageSize} px from {input.Describe()}"
                + $"{(input.IsAssumed ? " (give --image-size to set it)" : "")}");
            if (a.Stages is { } stages) Row("", stages);
            if (a.Details is { } details) Row("", details);
            Row("", $"head {(a.NumClasses > 0 ? Plural.Of(a.NumClasses, "class", "classes") : "none")}{(a.PreLogits ? ", pre-logits layer" : "")}");
            Row("", $"LayerNorm eps {a.LayerNormEps.ToString("G", CultureInfo.InvariantCulture)}, input mean {Floats(a.Mean)}, std {Floats(a.Std)}");
            Row("", $"preprocessing from {Printable.Escape(a.PreprocessingSource)}");
        }
        if (r.Petl is { } p)
        {
            string dim = p.HiddenDim is int d ? $", hidden dim {d}" : "";
            string scale = p.Scale is double s ? $", scale {s.ToString("G", CultureInfo.InvariantCulture)}" : "";
            Row("petl", $"{p.Method}{dim}{scale}, {Plural.Of(p.AdaptedBlocks, "adapted block")}"
                + $"{(p.NumClasses is int c ? $", {Plural.Of(c, "class", "classes")}" : "")}");
            if (p.Ranks is { } ranks)
                Row("", "targets " + string.Join(", ", ranks.Select(kv => $"{kv.Key} (r {string.Join("/", kv.Value)})")));
        }
        if (r.Labels is { Count: > 0 } labels)
            Row("labels", $"{labels.Count}: {string.Join(", ", labels.Take(8))}{(labels.Count > 8 ? ", ..." : "")}");
        Row("parameters", $"backbone {N(r.Parameters.Backbone)}, PETL {N(r.Parameters.Petl)}, head {N(r.Parameters.Head)}, total "
            + $"{N(r.Parameters.Total)}");
        foreach (var (k, v) in r.Metadata) Row($"meta {k}", v);
        console.Write(grid);
    }

    private static string Floats(IReadOnlyList<float> v) => string.Join("/", v.Select(x => x.ToString("G", CultureInfo.InvariantCulture)));

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
}
