using System.CommandLine;
using SlsPrune.Core.Data;

namespace SlsPrune.Cli.Commands;

/// <summary>The data options every command that reads images takes: <c>--data</c> (a VTAB-1k task folder, an
/// ImageFolder tree or a CSV file, told apart by their contents), the CSV's columns and EXIF orientation.</summary>
public sealed class DataOptionSet
{
    public Option<FileSystemInfo> Data { get; }

    public Option<string?> PathColumn { get; } = new("--path-column")
    {
        Description = $"CSV data: the column with the image paths (default {DataOptions.DefaultPathColumn})"
    };

    public Option<string?> LabelColumn { get; } = new("--label-column")
    {
        Description = $"CSV data: the column with the labels, class names or integers (default {DataOptions.DefaultLabelColumn})"
    };

    public Option<bool> ExifTranspose { get; } = new("--exif-transpose")
    {
        Description = "Turn JPEGs upright by their EXIF orientation (as Pillow's ImageOps.exif_transpose); off by default, as torchvision"
    };

    public DataOptionSet(string name = "--data", string? description = null)
    {
        Data = new Option<FileSystemInfo>(name)
        {
            Description = description ?? "VTAB-1k task folder, ImageFolder tree (ROOT/CLASS/* or ROOT/{train,val,test}/CLASS/*) or CSV/TSV file "
                + "(path and label columns)",
            Required = true,
        }.AcceptExistingOnly();
    }

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Data, PathColumn, LabelColumn, ExifTranspose }) command.Options.Add(o);
    }

    public string Path(ParseResult parse) => parse.GetValue(Data)!.FullName;

    /// <summary>The options, with the layout found and other notes said on stderr as <c>sls: data: ...</c>.</summary>
    public DataOptions Read(ParseResult parse, TextWriter err) =>
        new(parse.GetValue(PathColumn), parse.GetValue(LabelColumn), parse.GetValue(ExifTranspose), line => err.WriteLine($"sls: data: {line}"));
}
