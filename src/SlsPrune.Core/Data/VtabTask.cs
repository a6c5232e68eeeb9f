using System.Globalization;
using System.Text.Json;
using SlsPrune.Core.IO;

namespace SlsPrune.Core.Data;

/// <summary>One labelled image of a task split.</summary>
/// <param name="ExifTranspose">whether a JPEG is turned upright by its EXIF orientation when decoded (<c>--exif-transpose</c>).</param>
public sealed record LabelledImage(string Path, int Label, bool ExifTranspose = false);

/// <summary>
/// A VTAB-1k task folder as NOAH, Convpass and the SLS reference use it: <c>train800.txt</c>,
/// <c>val200.txt</c>, <c>train800val200.txt</c> and <c>test.txt</c>, each line <c>relative/path label</c>,
/// images under the folder. Labels are kept as given. An optional <c>task.json</c> names the classes
/// (<c>classes</c> or <c>class_names</c>, a list of strings); its <c>source</c> (where <c>sls data split</c> made the
/// folder from) is only a record. List paths and links are followed wherever they lead, as in every layout.
/// </summary>
public sealed class VtabTask : IDataSource
{
    public static readonly string[] Splits = SplitNames.Vtab;

    /// <summary>Labels are below this: a label sizes the head it trains, so 2,000,000,000 must not be taken
    /// at its word (ImageNet-21k has 21,843 classes).</summary>
    public const int MaxClasses = 100_000;

    private VtabTask(string root, DataOptions options)
    {
        Root = root;
        _options = options;
        (ClassNames, _) = ReadTaskJson(root);
    }

    private readonly DataOptions _options;

    public string Root { get; }

    public string Name => System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(Root));

    public string Layout => "vtab";

    public string Folder => Root;

    /// <summary>The split lists present: the standard four first, then any other <c>*.txt</c>, by name.</summary>
    IReadOnlyList<string> IDataSource.Splits
    {
        get
        {
            var present = Directory.EnumerateFiles(Root, "*.txt").Select(f => System.IO.Path.GetFileNameWithoutExtension(f))
                .ToHashSet(StringComparer.Ordinal);
            return Splits.Where(present.Contains).Concat(present.Except(Splits).Order(StringComparer.Ordinal)).ToArray();
        }
    }

    /// <summary>From <c>task.json</c>; null without one.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    public string Where(string split) => System.IO.Path.Combine(Root, split + ".txt");

    public static VtabTask Open(string root) => Open(root, DataOptions.Defaults);

    public static VtabTask Open(string root, DataOptions options)
    {
        if (!Directory.Exists(root)) throw new SlsInputException(root, "task folder not found");
        return new VtabTask(System.IO.Path.GetFullPath(root), options);
    }

    private static (IReadOnlyList<string>? Classes, string? Source) ReadTaskJson(string root)
    {
        string path = System.IO.Path.Combine(root, "task.json");
        if (!File.Exists(path)) return (null, null);
        try
        {
            using var doc = JsonDocument.Parse(InputFile.ReadAllText(path, InputFile.MaxTextBytes, "a task.json"));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new SlsInputException(path, "task.json is not a JSON object");
            IReadOnlyList<string>? classes = null;
            foreach (var key in new[] { "class_names", "classes" })
                if (doc.RootElement.TryGetProperty(key, out var c) && c.ValueKind == JsonValueKind.Array && c.EnumerateArray().All(e =>
                    e.ValueKind == JsonValueKind.String))
                {
                    classes = c.EnumerateArray().Select(e => e.GetString()!).ToArray();
                    break;
                }
            string? source = doc.RootElement.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            return (classes, source);
        }
        catch (JsonException e)
        {
            throw new SlsInputException(path, $"task.json is not valid JSON ({e.Message})");
        }
    }

    /// <summary>Reads a split's list: every line parsed and every image checked to exist.</summary>
    /// <param name="numClasses">when given, a label at or above it is an error (the head is too small).</param>
    public IReadOnlyList<LabelledImage> Read(string split, int? numClasses = null)
    {
        string list = System.IO.Path.Combine(Root, split + ".txt");
        if (!File.Exists(list)) throw new SlsInputException(list, $"split list '{split}.txt' is missing from the task folder");
        if (numClasses is int heads && ClassNames is { } names && names.Count > heads)
            throw new SlsInputException(System.IO.Path.Combine(Root, "task.json"), $"{names.Count} classes but the head has {heads}");
        var items = new List<LabelledImage>();
        int lineNo = 0;
        foreach (var raw in InputFile.ReadList(list, "a split list"))
        {
            lineNo++;
            string line = raw.Trim();
            if (line.Length == 0) continue;
            int sep = line.LastIndexOfAny([' ', '\t']);
            if (sep <= 0)
                throw new SlsInputException($"{list}:{lineNo}", "expected 'relative/path label'");
            string rel = line[..sep].TrimEnd();
            string labelText = line[(sep + 1)..];
            if (!int.TryParse(labelText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int label))
                throw new SlsInputException($"{list}:{lineNo}", $"label '{labelText}' is not an integer");
            if (label < 0) throw new SlsInputException($"{list}:{lineNo}", $"label {label} is negative");
            if (label >= MaxClasses) throw new SlsInputException($"{list}:{lineNo}", $"label {label} is not below the {MaxClasses}-class limit");
            if (numClasses is int n && label >= n)
                throw new SlsInputException($"{list}:{lineNo}", $"label {label} needs at least {label + 1} classes but the head has {n}");
            if (rel.Contains('\0', StringComparison.Ordinal)) throw new SlsInputException($"{list}:{lineNo}",
                $"image path '{rel}' contains a NUL character");
            string full = System.IO.Path.GetFullPath(System.IO.Path.Combine(Root, rel));
            if (!File.Exists(full)) throw new SlsInputException($"{list}:{lineNo}", $"image '{rel}' does not exist");
            CheckRealFile(full, rel, $"{list}:{lineNo}");
            items.Add(new LabelledImage(full, label, _options.ExifTranspose));
        }
        if (items.Count == 0) throw new SlsInputException(list, "split list is empty");
        return items;
    }

    /// <summary>Links resolved (and followed wherever they lead, as in every layout), the image must be a regular
    /// file outside the kernel's folders: a FIFO would hang the run, <c>/dev/zero</c> never ends.</summary>
    private static void CheckRealFile(string full, string rel, string where)
    {
        string real;
        try
        {
            real = RealPath.Resolve(full);
        }
        catch (IOException e)
        {
            throw new SlsInputException(where, $"image '{rel}' cannot be resolved: {e.Message}");
        }
        if (InputFile.IsSystemPath(real)) throw new SlsInputException(where, $"image '{rel}' leads to '{real}', a kernel interface under /proc, "
            + $"/sys or /dev, not an image");
        if (!FileKind.IsRegularFile(real)) throw new SlsInputException(where, $"image '{rel}' is not a regular file (a FIFO, device or folder)");
    }
}
