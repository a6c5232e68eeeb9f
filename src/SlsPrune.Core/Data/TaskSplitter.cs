using System.Globalization;
using System.Text;
using System.Text.Json;
using SlsPrune.Core.IO;

namespace SlsPrune.Core.Data;

/// <summary>Options of <c>sls data split</c>.</summary>
/// <param name="Test">images in test.txt; null: the rest.</param>
/// <param name="Copy">copy the images; otherwise symbolic links to them.</param>
public sealed record SplitOptions(string Source, string Out, int Train = 800, int Val = 200, int? Test = null, int Seed = 0, bool Copy = false)
{
    /// <summary>Every setting at its default (source and output empty).</summary>
    public static readonly SplitOptions Defaults = new("", "");

    /// <summary>How the command line spells a null <see cref="Test"/>: every image not in train or val.</summary>
    public const string RestOfImages = "rest";

    public DataOptions DataOptions { get; init; } = DataOptions.Defaults;
}

/// <summary>One class's share of the splits written.</summary>
public sealed record SplitClass(string Name, int Images, int Train, int Val, int Test);

/// <summary>What <c>sls data split</c> wrote.</summary>
public sealed record SplitResult(string Out, string Source, string Layout, int Seed, int Train, int Val, int Test, bool Copied,
    IReadOnlyList<SplitClass> Classes);

/// <summary>
/// <c>sls data split</c>: an ImageFolder tree or a CSV (all of its splits pooled) into a VTAB-1k task folder —
/// <c>train800.txt</c>, <c>val200.txt</c>, <c>train800val200.txt</c> (the two concatenated), <c>test.txt</c>,
/// <c>task.json</c> with the class names, and <c>images/</c> (links to the images, or copies). Each split is
/// stratified: class c gets its largest-remainder share of the split, within one image of the exact proportion
/// (unless the class has run out), drawn from a shuffle of the class seeded by <c>--seed</c>; no image is in two
/// splits. The folder is written beside its final place and renamed into it, so a failure leaves nothing.
/// </summary>
public static class TaskSplitter
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping
    };

    public static readonly string[] ListFiles = SplitNames.Vtab;

    public static SplitResult Run(SplitOptions o, CancellationToken cancellationToken = default)
    {
        if (o.Train < 0 || o.Val < 0 || o.Test is < 0) throw new SlsInputException("--train", "split sizes must not be negative");
        if (o.Train == 0) throw new SlsInputException("--train", "must be positive");
        if (InputFile.IsSystemPath(RealPath.Resolve(o.Source)))
            throw new SlsInputException(o.Source, "leads to a system folder (/, /proc, /sys or /dev), not data");
        OutputPath.CheckFolder(o.Out, "--out", replaced: true, o.Source);
        string final = Path.GetFullPath(o.Out);
        CheckEarlierSplit(o.Out);
        var source = DataLayouts.Open(o.Source, o.DataOptions);
        if (source.Layout == "vtab") throw new SlsInputException(o.Source, "is already a VTAB-1k task folder; data split reads an ImageFolder tree "
            + "or a CSV");

        // Every image of every split, once.
        var items = new List<LabelledImage>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var split in source.Splits)
            foreach (var i in source.Read(split))
            {
                string real = RealPath.Resolve(i.Path);
                if (seen.TryGetValue(real, out var first))
                    throw new SlsInputException(i.Path, first == split
                        ? $"is listed twice in split '{split}'; a file may be listed once"
                        : $"is listed twice (in split '{first}' and in split '{split}'); a file may be in one split only");
                seen[real] = split;
                items.Add(i with { Path = real });
            }
        // The folder is replaced as a whole: none of the images may live in it (an earlier --copy split of it, or links
        // into it), or the re-split would delete what it reads.
        string realOut = RealPath.Resolve(final).TrimEnd('/') + "/";
        if (items.FirstOrDefault(i => i.Path.StartsWith(realOut, StringComparison.Ordinal)) is { } inside)
            throw new SlsInputException(o.Out, $"holds the source image {inside.Path}; --out replaces the folder as a whole, which would delete it "
                + $"(choose another --out)");
        int classes = Math.Max(source.ClassNames?.Count ?? 0, items.Max(i => i.Label) + 1);
        var names = source.ClassNames ?? Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();
        var sizes = new int[classes];
        foreach (var i in items) sizes[i.Label]++;
        int total = items.Count;
        // in long: counts near int.MaxValue must not wrap around into a sum that fits
        long test = o.Test ?? (long)total - o.Train - o.Val, needs = (long)o.Train + o.Val + Math.Max(test, 0);
        if (needs > total || test < 0)
            throw new SlsInputException(o.Source, $"has {total} images; --train {o.Train} --val {o.Val}{(o.Test is int t ? $" --test {t}" : "")} "
                + $"needs {needs}");

        var left = sizes.ToArray();
        int[] Take(int n)
        {
            var counts = Stratified.Allocate(sizes, n, left);
            for (int c = 0; c < classes; c++) left[c] -= counts[c];
            return counts;
        }
        var trainCounts = Take(o.Train);
        var valCounts = Take(o.Val);
        var testCounts = Take((int)test);

        var shuffled = Stratified.Shuffled(items, i => i.Label, classes, o.Seed);
        var position = items.Select((item, index) => (item, index)).ToDictionary(p => p.item.Path, p => p.index, StringComparer.Ordinal);
        List<LabelledImage> Pick(Func<int, int> start, int[] counts) =>
            Enumerable.Range(0, classes).SelectMany(c => shuffled[c].Skip(start(c)).Take(counts[c])).OrderBy(i => position[i.Path]).ToList();
        var train = Pick(_ => 0, trainCounts);
        var val = Pick(c => trainCounts[c], valCounts);
        var testItems = Pick(c => trainCounts[c] + valCounts[c], testCounts);

        // Images keep their path under the folder all of them share.
        string common = CommonFolder(items.Select(i => i.Path));
        string Rel(LabelledImage i)
        {
            string rel = "images/" + Path.GetRelativePath(common, i.Path).Replace('\\', '/');
            if (rel.Any(char.IsControl) || rel != rel.Trim()) throw new SlsInputException(i.Path,
                "name has a control character or leading/trailing space, which a split list cannot hold");
            return rel;
        }
        string Lines(IEnumerable<LabelledImage> l) => string.Concat(l.Select(i => $"{Rel(i)} {i.Label.ToString(CultureInfo.InvariantCulture)}\n"));

        string parent = Path.GetDirectoryName(final)!;
        Directory.CreateDirectory(parent);
        // what a split killed here before left (its temporary folder, an earlier folder stepping aside) goes first
        TempName.SweepStale(parent, Path.GetFileName(final), folders: true);
        string tmp = TempName.Beside(final);
        try
        {
            Directory.CreateDirectory(tmp);
            int done = 0;
            foreach (var i in train.Concat(val).Concat(testItems))
            {
                cancellationToken.ThrowIfCancellationRequested();
                string dest = Path.Combine(tmp, Rel(i));
                Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                if (o.Copy) File.Copy(i.Path, dest);
                else File.CreateSymbolicLink(dest, i.Path);
                if (++done % 1000 == 0) o.DataOptions.Report?.Invoke($"{done} images {(o.Copy ? "copied" : "linked")}");
            }
            var utf8 = new UTF8Encoding(false);
            File.WriteAllText(Path.Combine(tmp, "train800.txt"), Lines(train), utf8);
            File.WriteAllText(Path.Combine(tmp, "val200.txt"), Lines(val), utf8);
            File.WriteAllText(Path.Combine(tmp, "train800val200.txt"), Lines(train.Concat(val)), utf8);
            File.WriteAllText(Path.Combine(tmp, "test.txt"), Lines(testItems), utf8);
            var info = new SortedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["name"] = Path.GetFileName(final),
                ["classes"] = names,
                ["source"] = o.Copy ? null : common,
                ["made_from"] = Path.GetFullPath(o.Source),
                ["layout"] = source.Layout,
                ["seed"] = o.Seed,
                ["train"] = train.Count,
                ["val"] = val.Count,
                ["test"] = testItems.Count,
            };
            File.WriteAllText(Path.Combine(tmp, "task.json"), JsonSerializer.Serialize(info, Indented) + "\n", utf8);
            FolderSwap.MoveIn(tmp, final); // an earlier folder there was checked before any work
        }
        catch (Exception e)
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
            // a full disk or an I/O error names the task folder, never the hidden temporary one
            if (e is IOException io and not FileNotFoundException and not DirectoryNotFoundException) throw AtomicFile.Failed(o.Out, io, tmp);
            throw;
        }
        var perClass = Enumerable.Range(0, classes).Select(c => new SplitClass(names[c], sizes[c], trainCounts[c], valCounts[c], testCounts[c]))
            .ToArray();
        return new SplitResult(final, Path.GetFullPath(o.Source), source.Layout, o.Seed, train.Count, val.Count, testItems.Count, o.Copy, perClass);
    }

    /// <summary>What a split writes into its task folder; an existing --out may hold nothing else.</summary>
    private static readonly string[] SplitEntries = ["images", .. ListFiles.Select(l => l + ".txt"), "task.json"];

    /// <summary>An existing <c>--out</c> is replaced only when it is an earlier split's task folder (its task.json says
    /// where it was made from) holding nothing a split does not write.</summary>
    private static void CheckEarlierSplit(string path)
    {
        if (FileKind.Of(path) != PathKind.Folder) return;
        if (new FileInfo(path.TrimEnd('/')).LinkTarget is not null)
            throw new SlsInputException(path, "is a symbolic link; --out names the task folder itself (remove the link or choose another --out)");
        var entries = Directory.EnumerateFileSystemEntries(path).Select(Path.GetFileName).ToList();
        if (entries.Count == 0) return;
        string info = Path.Combine(path, "task.json");
        bool madeBySplit;
        try
        {
            // missing, not a regular file, over 1 MiB or not JSON: not a task.json this tool wrote
            using var doc = JsonDocument.Parse(InputFile.ReadAllText(info, 1 << 20, "a task.json"));
            madeBySplit = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("made_from", out _);
        }
        catch (Exception e) when (e is JsonException or SlsInputException)
        {
            madeBySplit = false;
        }
        if (!madeBySplit)
            throw new SlsInputException(path, "exists and is not a task folder written by sls data split; remove it or choose another --out");
        if (entries.FirstOrDefault(e => !SplitEntries.Contains(e, StringComparer.Ordinal)) is { } other)
            throw Foreign(path, other);
        foreach (var name in entries.Where(e => e != "images"))
            if (FileKind.Of(Path.Combine(path, name!)) != PathKind.Regular || new FileInfo(Path.Combine(path, name!)).LinkTarget is not null)
                throw Foreign(path, name!);
        CheckImages(path);
    }

    private static SlsInputException Foreign(string path, string entry) =>
        new(path, $"holds '{Printable.Escape(entry)}', which sls data split does not write; a re-split replaces the folder as a whole (move it "
            + $"away or choose another --out)");

    /// <summary>Everything under an earlier split's <c>images/</c>, at any depth, is an image its lists name (a link or a
    /// copy) or a folder on the way to one; anything else (a note of the user's, a link to a folder) is refused. The walk
    /// does not follow links and is bounded as a data tree's is.</summary>
    private static void CheckImages(string path)
    {
        string images = Path.Combine(path, "images");
        if (FileKind.Of(images) == PathKind.Missing && new FileInfo(images).LinkTarget is null) return;
        if (new FileInfo(images).LinkTarget is not null || FileKind.Of(images) != PathKind.Folder) throw Foreign(path, "images");
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var list in ListFiles.Select(l => Path.Combine(path, l + ".txt")).Where(File.Exists))
            foreach (var line in InputFile.ReadList(list, "a split list"))
            {
                int space = line.LastIndexOf(' ');
                if (space > 0) listed.Add(line[..space]);
            }
        try
        {
            CheckListed(path, images, listed);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SlsInputException(path, $"cannot be listed: {e.Message}");
        }
    }

    private static void CheckListed(string path, string images, HashSet<string> listed)
    {
        int seen = 0;
        var folders = new Stack<(string Dir, int Depth)>();
        folders.Push((images, 0));
        var all = new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false };
        while (folders.Count > 0)
        {
            var (dir, depth) = folders.Pop();
            foreach (var entry in Directory.EnumerateFileSystemEntries(dir, "*", all))
            {
                if (++seen > Layouts.FolderWalk.MaxFiles)
                    throw new SlsInputException(path, $"holds more than {Layouts.FolderWalk.MaxFiles} files and folders; a split is at most "
                        + "that big");
                string rel = Path.GetRelativePath(path, entry).Replace('\\', '/');
                bool link = new FileInfo(entry).LinkTarget is not null;
                if (!link && Directory.Exists(entry))
                {
                    if (depth + 1 > 2 * Layouts.FolderWalk.MaxDepth)
                        throw new SlsInputException(entry, $"is more than {2 * Layouts.FolderWalk.MaxDepth} folders deep; a split is not that deep");
                    folders.Push((entry, depth + 1));
                }
                else if (!listed.Contains(rel) || Directory.Exists(entry)) throw Foreign(path, rel);
            }
        }
    }

    private static string CommonFolder(IEnumerable<string> paths)
    {
        string? common = null;
        foreach (var p in paths)
        {
            string dir = Path.GetDirectoryName(p)!;
            if (common is null) { common = dir; continue; }
            while (!(dir + "/").StartsWith(common.TrimEnd('/') + "/", StringComparison.Ordinal)) common = Path.GetDirectoryName(common) ?? "/";
        }
        return common ?? "/";
    }
}
