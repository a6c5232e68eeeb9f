namespace SlsPrune.Core.IO;

/// <summary>
/// The checks every output path passes before a run reads or computes anything (rule one: never change an input).
/// An output file must be a regular file or a missing path (not a folder, FIFO, device, socket or broken link), must
/// not be, through any link, one of the run's inputs, and must not replace a file inside an input folder (a new file
/// there is fine); an output folder must not be an input folder or lie inside one; a folder that a run replaces as a
/// whole (<c>sls data split</c>) must not contain an input either. Every output's folder must be writable, so a
/// read-only location fails in the first second, naming the user's path.
/// </summary>
public static class OutputPath
{
    /// <param name="option">the option that named the output (<c>--out</c>), named in the error.</param>
    /// <param name="inputs">the files and folders the run reads (null entries are skipped).</param>
    /// <exception cref="SlsInputException">naming the path.</exception>
    public static void CheckFile(string path, string option, params string?[] inputs)
    {
        switch (FileKind.Of(path))
        {
            case PathKind.Folder: throw new SlsInputException(path, $"is a folder; {option} names a file to write");
            case PathKind.Special:
                throw new SlsInputException(path, $"is not a regular file (a FIFO, device or socket); {option} names a file to write");
            case PathKind.BrokenLink:
                throw new SlsInputException(path, $"is a symbolic link to a missing path; {option} names a regular file or a new path");
        }
        bool exists = File.Exists(path);
        string full = Path.GetFullPath(path), real = Real(path);
        CheckNotSystem(path, full, real, option);
        foreach (var (input, inputReal, folder) in Existing(inputs))
        {
            if (real == inputReal || full == Path.GetFullPath(input))
                throw new SlsInputException(path, $"is one of this run's inputs; {option} would replace it (choose another path)");
            bool inside = folder && (Inside(real, inputReal) || Inside(full, Path.GetFullPath(input)) || Inside(full, inputReal));
            if (inside && exists)
                throw new SlsInputException(path, $"is a file inside the input folder {input}; {option} would replace it (choose another path)");
            // a VTAB-1k task folder reads every list at its top as a split: a new one there would be a split of the task
            if (inside && !exists && Path.GetExtension(full).Equals(".txt", StringComparison.OrdinalIgnoreCase) && IsTaskFolder(inputReal)
                && (Path.GetDirectoryName(real) == inputReal || Path.GetDirectoryName(full) == Path.GetFullPath(input).TrimEnd('/')))
                throw new SlsInputException(path, $"is a new list in the task folder {input}, which would read it as a split; {option} must write "
                    + "elsewhere (choose another path)");
            // a file given from a model folder (its pytorch_model.bin) reads the folder's other files too
            string givenDir = Path.GetDirectoryName(Path.GetFullPath(input))!;
            if (!folder && Path.GetDirectoryName(inputReal) is { } modelDir && IsModelFolder(modelDir)
                && (Path.GetDirectoryName(real) == modelDir || Path.GetDirectoryName(full) == givenDir))
                throw new SlsInputException(path, $"is inside the model folder {givenDir}, whose loader chooses among the files it finds (a new "
                    + $"weights or config file changes the model); {option} must write outside it (choose another path)");
            if (inside && IsModelFolder(inputReal))
                throw new SlsInputException(path, $"is inside the model folder {input}, whose loader chooses among the files it finds (a new weights "
                    + $"or config file changes the model); {option} must write outside it (choose another path)");
        }
        CheckWritable(path, Path.GetDirectoryName(full)!, option);
    }

    /// <summary>An output folder (<c>--plots</c>, a results folder): not an existing file, not an input folder or inside
    /// one, and writable. With <paramref name="replaced"/> (a folder the run writes anew as a whole) it must not contain
    /// an input either.</summary>
    public static void CheckFolder(string path, string option, bool replaced = false, params string?[] inputs)
    {
        switch (FileKind.Of(path))
        {
            case PathKind.Regular: throw new SlsInputException(path, $"is a file; {option} names a folder");
            case PathKind.Special: throw new SlsInputException(path, $"is not a folder (a FIFO, device or socket); {option} names a folder");
            case PathKind.BrokenLink:
                throw new SlsInputException(path, $"is a symbolic link to a missing path; {option} names a folder or a new path");
        }
        string full = Path.GetFullPath(path), real = Real(path);
        CheckNotSystem(path, full, real, option);
        foreach (var (input, inputReal, folder) in Existing(inputs))
        {
            if (real == inputReal || full == Path.GetFullPath(input))
                throw new SlsInputException(path, $"is one of this run's inputs; {option} names a folder to write (choose another)");
            // the folder's own files are written by name: an input among them would be replaced
            if (!folder && (Path.GetDirectoryName(inputReal) == real || Path.GetDirectoryName(Path.GetFullPath(input)) == full))
                throw new SlsInputException(path, $"holds the input {input}; {option} writes its files into this folder (choose a folder without "
                    + $"inputs in it)");
            if (folder && (Inside(real, inputReal) || Inside(full, Path.GetFullPath(input)) || Inside(full, inputReal)))
                throw new SlsInputException(path, $"is inside the input folder {input}; {option} must not write into it (choose a folder outside "
                    + $"it)");
            if (replaced && (Inside(inputReal, real) || Inside(Path.GetFullPath(input), full)))
                throw new SlsInputException(path, $"contains the input {input}; {option} names a folder that is replaced as a whole (choose a "
                    + $"folder outside the input)");
        }
        CheckWritable(path, full, option);
    }

    /// <summary>The outputs of one run each have their own place: no two name the same file (through links too), and no file
    /// lies in a figures folder of the run under a figure's extension (<c>.png</c>, <c>.svg</c>), where a figure would
    /// replace it or it a figure.</summary>
    /// <exception cref="SlsInputException">naming the path both would write.</exception>
    public static void CheckDistinct(IReadOnlyList<OutputTarget> outputs)
    {
        var clash = outputs.GroupBy(t => Real(t.Path), StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
            throw new SlsInputException(clash.First().Path, $"is named by both {clash.First().Option} and {clash.Last().Option}; each output "
                + "needs its own path");
        foreach (var folder in outputs.Where(t => t.Folder))
        {
            string real = Real(folder.Path);
            var figure = outputs.FirstOrDefault(t => !t.Folder && Path.GetDirectoryName(Real(t.Path)) == real
                && Path.GetExtension(t.Path).ToLowerInvariant() is ".png" or ".svg");
            if (figure is not null)
                throw new SlsInputException(figure.Path, $"lies in the {folder.Option} folder, whose figures are PNG and SVG files; {figure.Option} "
                    + "would take a figure's place (choose another name or folder)");
        }
    }

    /// <summary>Outputs in or through <c>/dev</c>, <c>/proc</c> or <c>/sys</c> (a link such as <c>/dev/stdout</c> would be
    /// replaced by a regular file) are refused, whatever they resolve to.</summary>
    private static void CheckNotSystem(string path, string full, string real, string option)
    {
        if (InputFile.IsSystemPath(full) || InputFile.IsSystemPath(real) || InputFile.IsSystemPath(Path.GetDirectoryName(full) ?? full))
            throw new SlsInputException(path, $"is in a system folder (/dev, /proc or /sys); {option} names a place for files (redirect stdout "
                + $"with --json instead of writing to /dev/stdout)");
    }

    /// <summary>An existing file a run writes in place (appends to or empties, rather than replacing it by a rename: a log, a
    /// task's lock) must have one name and must not be the same file (device and inode) as any input file: a hard link to
    /// an input has another path but is the same file, and writing it would change the input.</summary>
    /// <param name="option">what named the file (<c>--log-file</c>), named in the error.</param>
    /// <param name="inputs">the files and folders the run reads (null entries are skipped).</param>
    /// <exception cref="SlsInputException">naming the path.</exception>
    public static void CheckInPlace(string path, string option, params string?[] inputs) => CheckInPlace(path, option, Identities(inputs));

    /// <summary><see cref="CheckInPlace(string, string, string?[])"/> against inputs' identities taken once (<see cref="Identities"/>):
    /// a batch checks every task's lock against the same inputs.</summary>
    public static void CheckInPlace(string path, string option, IReadOnlyDictionary<(ulong Device, ulong Inode), string> inputs)
    {
        if (FileIdentity.Of(path) is not { } id) return;
        if (id.Links > 1)
            throw new SlsInputException(path, $"has {id.Links} names (hard links); {option} is written in place, which would change the file "
                + $"under its other names too (choose a new path)");
        if (inputs.TryGetValue((id.Device, id.Inode), out var input))
            throw new SlsInputException(path, $"is the same file as the input {input}; {option} would change it (choose another path)");
    }

    /// <summary>Each existing input's device and inode, with the path given (empty where the system cannot say).</summary>
    public static IReadOnlyDictionary<(ulong Device, ulong Inode), string> Identities(IEnumerable<string?> inputs)
    {
        var ids = new Dictionary<(ulong, ulong), string>();
        foreach (var input in inputs.OfType<string>())
            if (FileIdentity.Of(input) is { } id) ids.TryAdd((id.Device, id.Inode), input);
        return ids;
    }

    /// <summary>A VTAB-1k task folder: one with a split list of the benchmark's names at its top.</summary>
    private static bool IsTaskFolder(string folder) => TaskLists.Any(n => File.Exists(Path.Combine(folder, n)));

    private static readonly string[] TaskLists = ["train800val200.txt", "train800.txt", "val200.txt", "test.txt"];

    /// <summary>A checkpoint folder: a Hugging Face model (<c>config.json</c>) or a PEFT adapter (<c>adapter_config.json</c>).</summary>
    private static bool IsModelFolder(string folder) =>
        File.Exists(Path.Combine(folder, "config.json")) || File.Exists(Path.Combine(folder, "adapter_config.json"));

    /// <summary>An output file inside <paramref name="folder"/> (through links too), a folder whose every file the run reads
    /// (a results folder's <c>results/</c>), is refused: a new file there becomes an input of the next run.</summary>
    /// <param name="what">the folder in words, named in the error.</param>
    public static void CheckOutside(string path, string option, string folder, string what)
    {
        if (FileKind.Of(folder) != PathKind.Folder) return;
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!, realFolder = Real(folder);
        if (Inside(Real(dir), realFolder) || Real(dir) == realFolder || Inside(dir, Path.GetFullPath(folder)) || dir == Path.GetFullPath(folder))
            throw new SlsInputException(path, $"is inside {what}, all of whose files are read; {option} must write outside it (choose another path)");
    }

    /// <summary>An existing output file that is one of the files of a task a run reads (its lists and images, which may lie
    /// anywhere through links or a CSV's paths) is refused.</summary>
    /// <param name="realFiles">the real paths of those files, read only when an output exists already.</param>
    public static void CheckNotAmong(string path, string option, Lazy<IReadOnlySet<string>> realFiles)
    {
        if (File.Exists(path) && realFiles.Value.Contains(Real(path)))
            throw new SlsInputException(path, $"is one of the files of the data this run reads (a list or an image); {option} would replace it "
                + "(choose another path)");
    }

    /// <summary>The path with every link resolved.</summary>
    /// <exception cref="SlsInputException">naming <paramref name="path"/> where its links loop.</exception>
    public static string RealOf(string path) => Real(path);

    /// <summary>Refused unless the nearest existing folder on the way to <paramref name="target"/> can be written.</summary>
    private static void CheckWritable(string path, string target, string option)
    {
        string? dir = target;
        while (dir is not null && FileKind.Of(dir) == PathKind.Missing) dir = Path.GetDirectoryName(dir);
        if (dir is null) return;
        if (FileKind.Of(dir) != PathKind.Folder)
            throw new SlsInputException(path, $"cannot be written: {dir} is not a folder (choose another {option})");
        // A file made and removed at once (deleted as it is closed): the only test that holds for every user (root included), file system and
        // mount (read-only, /proc, /sys).
        string probe = Path.Combine(dir, $".sls-write-check.{Environment.ProcessId}.{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string why = e is UnauthorizedAccessException ? "is not writable (permission denied)"
                : (e.HResult & 0xFFFF) == ReadOnlyFileSystem ? "is on a read-only file system" : "does not take new files";
            throw new SlsInputException(path, $"cannot be written: {dir} {why} (choose another {option})");
        }
    }

    private const int ReadOnlyFileSystem = 30;

    private static IEnumerable<(string Input, string Real, bool Folder)> Existing(string?[] inputs)
    {
        foreach (var input in inputs.OfType<string>())
        {
            var kind = FileKind.Of(input);
            if (kind is PathKind.Missing or PathKind.BrokenLink) continue;
            yield return (input, Real(input), kind == PathKind.Folder);
        }
    }

    private static string Real(string path)
    {
        try
        {
            return RealPath.Resolve(path);
        }
        catch (IOException)
        {
            throw new SlsInputException(path, "goes through a loop of symbolic links");
        }
    }

    /// <summary>Whether <paramref name="path"/> lies strictly inside <paramref name="folder"/>.</summary>
    /// <summary>Whether <paramref name="path"/> lies under <paramref name="folder"/> (both full, as compared: no resolving).</summary>
    internal static bool Inside(string path, string folder) =>
        path.Length > folder.Length && path.StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal);
}
