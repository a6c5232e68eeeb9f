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
            if (numClasses is int n && label >= n)
                throw new SlsInputException($"{list}:{lineNo}", $"label {label} needs at least {label + 1} classes but the head has {n}");
            string full = System.IO.Path.GetFullPath(System.IO.Path.Combine(Root, rel));
            if (!full.StartsWith(System.IO.Path.GetFullPath(Root).TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new SlsInputException($"{list}:{lineNo}", $"image '{rel}' is outside the task folder");
            if (!File.Exists(full)) throw new SlsInputException($"{list}:{lineNo}", $"image '{rel}' does not exist");
            items.Add(new LabelledImage(full, label));
        }
        if (items.Count == 0) throw new SlsInputException(list, "split list is empty");
        return items;
    }
}
