using System.Globalization;
using System.Text;
using SlsPrune.Core.IO;

namespace SlsPrune.Core.Data.Layouts;

/// <summary>
/// A CSV (or TSV) file whose header names the image-path and label columns (<c>path</c> and <c>label</c>, or
/// <see cref="DataOptions.PathColumn"/> and <see cref="DataOptions.LabelColumn"/>) and optionally a <c>split</c>
/// column; without one the whole file is the split <c>all</c>. Paths are relative to the CSV's folder. Labels are
/// integers (kept as given) or, if any is not, class names (numbered in ordinal order). Fields may be quoted
/// (<c>"a, b"</c>, <c>""</c> for a quote); a TSV is tab-separated.
/// </summary>
public sealed class CsvLayout : IDataLayout
{
    public const string SplitColumn = "split";

    public string Name => "csv";

    public string Description => "CSV/TSV file with a header naming the path and label columns";

    public bool Detect(string path) =>
        File.Exists(path) && (path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase));

    public IDataSource Open(string path, DataOptions options)
    {
        string file = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(file)!;
        var rows = Read(file);
        if (rows.Count == 0) throw new SlsInputException(file, "CSV file is empty (expected a header naming the path and label columns)");
        var header = rows[0].Fields;
        int Column(string name, string option)
        {
            int i = Array.IndexOf(header, name);
            if (i < 0)
                throw new SlsInputException(file, $"has no '{name}' column (its columns: {string.Join(", ", header)}); name it with {option}");
            return i;
        }
        int pathCol = Column(options.PathColumn ?? DataOptions.DefaultPathColumn, "--path-column");
        int labelCol = Column(options.LabelColumn ?? DataOptions.DefaultLabelColumn, "--label-column");
        int splitCol = Array.IndexOf(header, SplitColumn);
        var bySplit = new Dictionary<string, List<NamedImage>>(StringComparer.Ordinal);
        foreach (var (line, fields) in rows.Skip(1))
        {
            string where = $"{file}:{line}";
            if (fields.Length != header.Length) throw new SlsInputException(where, $"{fields.Length} fields where the header has {header.Length}");
            string rel = fields[pathCol], label = fields[labelCol];
            if (rel.Length == 0) throw new SlsInputException(where, "empty image path");
            if (label.Length == 0) throw new SlsInputException(where, $"empty label for '{rel}'");
            if (rel.Contains('\0', StringComparison.Ordinal)) throw new SlsInputException(where, $"image path '{rel}' contains a NUL character");
            string full = Path.GetFullPath(Path.Combine(folder, rel));
            if (!File.Exists(full)) throw new SlsInputException(where, $"image '{rel}' does not exist");
            ImageFiles.Check(full);
            string split = splitCol < 0 ? ImageFolderLayout.Whole : fields[splitCol];
            if (split.Length == 0) throw new SlsInputException(where, $"empty split for '{rel}'");
            if (!bySplit.TryGetValue(split, out var list)) bySplit[split] = list = [];
            list.Add(new NamedImage(full, label));
        }
        if (bySplit.Count == 0) throw new SlsInputException(file, "CSV file lists no images");
        bool byName = bySplit.Values.SelectMany(l => l).Any(i => !int.TryParse(i.Label, NumberStyles.None, CultureInfo.InvariantCulture, out _));
        if (!byName && bySplit.Values.SelectMany(l => l).FirstOrDefault(i => int.Parse(i.Label,
            CultureInfo.InvariantCulture) >= VtabTask.MaxClasses) is { } big)
            throw new SlsInputException(big.Path, $"label {big.Label} is not below the {VtabTask.MaxClasses}-class limit");
        var order = ImageFolderLayout.SplitNames.Where(bySplit.ContainsKey).Concat(bySplit.Keys.Except(ImageFolderLayout.SplitNames)
            .Order(StringComparer.Ordinal));
        var splits = order.Select(s => (s, (IReadOnlyList<NamedImage>)bySplit[s])).ToArray();
        return LabelledSource.Create(Name, Path.GetFileNameWithoutExtension(file), folder, splits, byName, _ => file, options);
    }

    /// <summary>The file's records (line number, fields), blank lines skipped.</summary>
    internal static List<(int Line, string[] Fields)> Read(string file)
    {
        string[] lines;
        try
        {
            lines = InputFile.ReadList(file, "a CSV data file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SlsInputException(file, $"cannot read: {e.Message}");
        }
        if (lines.Length == 0) lines = [""];
        char sep = file.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) || (lines[0].Contains('\t') && !lines[0].Contains(',')) ? '\t' : ',';
        var rows = new List<(int, string[])>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Trim().Length == 0) continue;
            rows.Add((i + 1, Split(line, sep, $"{file}:{i + 1}")));
        }
        return rows;
    }

    internal static string[] Split(string line, char sep, string where)
    {
        var fields = new List<string>();
        var cur = new StringBuilder();
        bool quoted = false, wasQuoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < line.Length && line[i + 1] == '"') { cur.Append('"'); i++; }
                    else quoted = false;
                }
                else cur.Append(c);
            }
            else if (c == '"' && cur.Length == 0 && !wasQuoted) { quoted = wasQuoted = true; }
            else if (c == sep) { fields.Add(wasQuoted ? cur.ToString() : cur.ToString().Trim()); cur.Clear(); wasQuoted = false; }
            else cur.Append(c);
        }
        if (quoted) throw new SlsInputException(where, "unterminated quoted field");
        fields.Add(wasQuoted ? cur.ToString() : cur.ToString().Trim());
        return fields.ToArray();
    }

    /// <summary>A field written so <see cref="Split"/> reads it back.</summary>
    internal static string Quote(string field, char sep) =>
        field.Contains(sep) || field.Contains('"') || field != field.Trim() ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : field;
}
