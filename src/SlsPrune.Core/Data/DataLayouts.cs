using SlsPrune.Core.Data.Layouts;
using SlsPrune.Core.IO;

namespace SlsPrune.Core.Data;

/// <summary>The registry of data layouts and the one entry point runners open <c>--data</c> through: the first
/// layout that recognises the path opens it, and the layout found is said through <see cref="DataOptions.Report"/>.</summary>
public static class DataLayouts
{
    /// <summary>In order of detection; a folder no layout recognises is read as a VTAB-1k task folder (whose
    /// errors name the list that is missing).</summary>
    public static readonly IReadOnlyList<IDataLayout> All = [new VtabLayout(), new ImageFolderLayout(), new CsvLayout()];

    /// <summary>The first layout in <see cref="All"/> that recognises <paramref name="path"/> (a folder or a CSV/TSV file;
    /// only names and a few bytes are read), or null when none does.</summary>
    public static IDataLayout? Detect(string path) => All.FirstOrDefault(l => l.Detect(path));

    /// <summary>Opens <paramref name="path"/> as the first layout that recognises it (a folder none recognises as a VTAB-1k
    /// task folder) and says the layout and splits found through <see cref="DataOptions.Report"/>.
    /// <paramref name="options"/> null: <see cref="DataOptions.Defaults"/>.</summary>
    /// <exception cref="SlsInputException">naming <paramref name="path"/>: missing, not a regular file or folder, a file
    /// that is no image list, a folder of images without classes, or what the layout found wrong (a missing split list, an
    /// unreadable row).</exception>
    public static IDataSource Open(string path, DataOptions? options = null)
    {
        options ??= DataOptions.Defaults;
        if (!Directory.Exists(path) && !File.Exists(path)) throw new SlsInputException(path, "task folder not found");
        if (FileKind.Of(path) == PathKind.Special) throw new SlsInputException(path, "not a regular file (a FIFO, device, socket or folder)");
        var layout = Detect(path);
        if (layout is null)
        {
            if (File.Exists(path))
                throw new SlsInputException(path, $"is a file but not a CSV/TSV list of images; --data expects a task folder, an ImageFolder tree "
                    + $"or such a list ({string.Join("; ", All.Select(l => $"{l.Name}: {l.Description}"))})");
            if (HoldsImages(path))
                throw new SlsInputException(path, "holds images but no class folders or split lists; sls reads VTAB-1k task folders, ImageFolder "
                    + "trees (ROOT/CLASS/image) and CSV files");
            layout = All[0];
        }
        var source = layout.Open(path, options);
        options.Report?.Invoke($"{Printable.Escape(path)}: {layout.Description} ({Describe(source)})");
        return source;
    }

    /// <summary>The split to read for <paramref name="split"/>: itself, or, where an ImageFolder tree or CSV file has
    /// exactly one split (a flat tree, a CSV without a split column) and <paramref name="split"/> is a VTAB-1k list name
    /// (the commands' defaults, which such a source never has), that one split, said through <see cref="DataOptions.Report"/>.</summary>
    public static string Split(IDataSource source, string split, DataOptions? options = null)
    {
        if (source.Layout == "vtab" || source.Splits.Count != 1 || source.Splits.Contains(split) || !SplitNames.Vtab.Contains(split)) return split;
        string only = source.Splits[0];
        (options ?? DataOptions.Defaults).Report?.Invoke($"{Printable.Escape(source.Name)} has one split, '{Printable.Escape(only)}'; reading it "
            + $"for '{split}' (--split names another)");
        return only;
    }

    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"];

    /// <summary>Whether a folder no layout recognises has image files of its own (by name; the first 10,000 entries
    /// looked at): a folder of images without classes, not a VTAB-1k task folder missing its lists.</summary>
    private static bool HoldsImages(string folder)
    {
        try
        {
            var visible = new EnumerationOptions { AttributesToSkip = FileAttributes.Hidden | FileAttributes.System, IgnoreInaccessible = true };
            return Directory.EnumerateFiles(folder, "*", visible).Take(10_000)
                .Any(f => ImageExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string Describe(IDataSource s) => $"splits {string.Join(", ", s.Splits)}" + (s.ClassNames is { } c ? $"; {c.Count} classes" : "");
}
