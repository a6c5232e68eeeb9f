using SlsPrune.Core.Data.Layouts;

namespace SlsPrune.Core.Data;

/// <summary>The registry of data layouts and the one entry point runners open <c>--data</c> through: the first
/// layout that recognises the path opens it, and the layout found is said through <see cref="DataOptions.Report"/>.</summary>
public static class DataLayouts
{
    /// <summary>In order of detection; a folder no layout recognises is read as a VTAB-1k task folder (whose
    /// errors name the list that is missing).</summary>
    public static readonly IReadOnlyList<IDataLayout> All = [new VtabLayout(), new ImageFolderLayout(), new CsvLayout()];

    public static IDataLayout? Detect(string path) => All.FirstOrDefault(l => l.Detect(path));

    public static IDataSource Open(string path, DataOptions? options = null)
    {
        options ??= DataOptions.Default;
        if (!Directory.Exists(path) && !File.Exists(path)) throw new SlsInputException(path, "task folder not found");
        if (FileKind.Of(path) == PathKind.Special) throw new SlsInputException(path, "not a regular file (a FIFO, device, socket or folder)");
        var layout = Detect(path);
        if (layout is null)
        {
            if (File.Exists(path))
                throw new SlsInputException(path, $"is a file but not a CSV/TSV list of images; --data expects a task folder, an ImageFolder tree or such a list ({string.Join("; ", All.Select(l => $"{l.Name}: {l.Description}"))})");
            layout = All[0];
        }
        var source = layout.Open(path, options);
        options.Report?.Invoke($"{Printable.Escape(path)}: {layout.Description} ({Describe(source)})");
        return source;
    }

    private static string Describe(IDataSource s) =>
        $"splits {string.Join(", ", s.Splits)}" + (s.ClassNames is { } c ? $"; {c.Count} classes" : "");
}
