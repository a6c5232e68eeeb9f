using System.Globalization;

namespace SlsPrune.Core.Data;

/// <summary>One labelled image of a task split.</summary>
public sealed record LabelledImage(string Path, int Label);

/// <summary>
/// A VTAB-1k task folder as NOAH, Convpass and the SLS reference use it: <c>train800.txt</c>,
/// <c>val200.txt</c>, <c>train800val200.txt</c> and <c>test.txt</c>, each line <c>relative/path label</c>,
/// images under the folder. Labels are kept as given.
/// </summary>
public sealed class VtabTask
{
    public static readonly string[] Splits = ["train800", "val200", "train800val200", "test"];

    /// <summary>Labels are below this: a label sizes the head it trains, so 2,000,000,000 must not be taken
    /// at its word (ImageNet-21k has 21,843 classes).</summary>
    public const int MaxClasses = 100_000;

    private VtabTask(string root) => Root = root;

    public string Root { get; }

    public string Name => System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(Root));

    public static VtabTask Open(string root)
    {
        if (!Directory.Exists(root)) throw new SlsInputException(root, "task folder not found");
        return new VtabTask(System.IO.Path.GetFullPath(root));
    }

    /// <summary>Reads a split's list: every line parsed and every image checked to exist.</summary>
    /// <param name="numClasses">when given, a label at or above it is an error (the head is too small).</param>
    /// <summary>Whether the folder has the list file of <paramref name="split"/>.</summary>
    public bool HasSplit(string split) => File.Exists(System.IO.Path.Combine(Root, split + ".txt"));

    public IReadOnlyList<LabelledImage> Read(string split, int? numClasses = null)
    {
        string list = System.IO.Path.Combine(Root, split + ".txt");
        if (!File.Exists(list)) throw new SlsInputException(list, $"split list '{split}.txt' is missing from the task folder");
        var items = new List<LabelledImage>();
        int lineNo = 0;
        foreach (var raw in File.ReadLines(list))
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
            if (rel.Contains('\0', StringComparison.Ordinal)) throw new SlsInputException($"{list}:{lineNo}", $"image path '{rel}' contains a NUL character");
            string full = System.IO.Path.GetFullPath(System.IO.Path.Combine(Root, rel));
            if (!Inside(full, Root)) throw new SlsInputException($"{list}:{lineNo}", $"image '{rel}' is outside the task folder");
            if (!File.Exists(full)) throw new SlsInputException($"{list}:{lineNo}", $"image '{rel}' does not exist");
            CheckRealFile(full, rel, $"{list}:{lineNo}");
            items.Add(new LabelledImage(full, label));
        }
        if (items.Count == 0) throw new SlsInputException(list, "split list is empty");
        return items;
    }

    private string? _realRoot;

    /// <summary>Links resolved, the image must be a regular file inside the real task folder: a link may not lead
    /// out of it (or to <c>/dev/zero</c>), and a FIFO would hang the run.</summary>
    private void CheckRealFile(string full, string rel, string where)
    {
        string real;
        try
        {
            _realRoot ??= RealPath.Resolve(Root);
            real = RealPath.Resolve(full);
        }
        catch (IOException e)
        {
            throw new SlsInputException(where, $"image '{rel}' cannot be resolved: {e.Message}");
        }
        if (!Inside(real, _realRoot)) throw new SlsInputException(where, $"image '{rel}' is a link to '{real}', outside the task folder");
        if (!FileKind.IsRegularFile(real)) throw new SlsInputException(where, $"image '{rel}' is not a regular file (a FIFO, device or folder)");
    }

    private static bool Inside(string path, string folder) =>
        path.StartsWith(folder.TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
