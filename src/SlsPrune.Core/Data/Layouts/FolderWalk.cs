using SlsPrune.Core.IO;

namespace SlsPrune.Core.Data.Layouts;

/// <summary>
/// The bounded walk of a data tree's folders (an ImageFolder tree's class folders): symbolic links to files and to
/// folders are followed, as torchvision's ImageFolder does, but a folder reached again through a link (a loop) is
/// refused, as is a folder whose real path is a kernel interface (<c>/proc</c>, <c>/sys</c>, <c>/dev</c>) or the
/// file system's root, a tree deeper than <see cref="MaxDepth"/> below its class folder, and more than
/// <see cref="MaxFiles"/> files in one tree. Hidden entries are skipped.
/// </summary>
internal sealed class FolderWalk
{
    /// <summary>The most files one data tree may hold (ImageNet-1k's training set has 1,281,167).</summary>
    public const int MaxFiles = IO.InputFile.MaxListLines;

    /// <summary>The most folder levels below a class folder.</summary>
    public const int MaxDepth = 32;

    private static readonly EnumerationOptions Visible = new()
    {
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
        IgnoreInaccessible = false
    };

    private readonly string _root;
    private int _entries;

    public FolderWalk(string root) => _root = root;

    private sealed record Chain(string Real, Chain? Parent);

    /// <summary>The visible files under <paramref name="folder"/> at any depth, in ordinal order of their paths.</summary>
    public IReadOnlyList<string> Files(string folder)
    {
        var files = new List<string>();
        var stack = new Stack<(string Path, int Depth, Chain? Parent)>();
        stack.Push((folder, 0, null));
        while (stack.Count > 0)
        {
            var (dir, depth, parent) = stack.Pop();
            var here = new Chain(Enter(dir), parent);
            for (var up = parent; up is not null; up = up.Parent)
                if (up.Real == here.Real) throw new SlsInputException(dir, $"leads back to '{here.Real}', a folder above it (a symbolic link loop)");
            foreach (var entry in Entries(dir))
            {
                if (Directory.Exists(entry))
                {
                    if (depth + 1 > MaxDepth) throw new SlsInputException(entry, $"is more than {MaxDepth} folders below its class folder; a data "
                        + $"tree is not that deep");
                    stack.Push((entry, depth + 1, here));
                }
                else files.Add(entry);
            }
        }
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>A folder's real path, refused when it is a system folder.</summary>
    public static string Enter(string dir)
    {
        string real;
        try
        {
            real = RealPath.Resolve(dir);
        }
        catch (IOException e)
        {
            throw new SlsInputException(dir, $"cannot be resolved: {e.Message}");
        }
        if (InputFile.IsSystemPath(real)) throw new SlsInputException(dir, $"leads to '{real}', a system folder (/, /proc, /sys or /dev), not data");
        return real;
    }

    /// <summary>A folder's visible entries, each counted against <see cref="MaxFiles"/> as it is listed.</summary>
    public IEnumerable<string> Entries(string dir)
    {
        IEnumerator<string> it;
        try
        {
            it = Directory.EnumerateFileSystemEntries(dir, "*", Visible).GetEnumerator();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SlsInputException(dir, $"cannot list the folder: {e.Message}");
        }
        using (it)
            while (true)
            {
                try
                {
                    if (!it.MoveNext()) yield break;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new SlsInputException(dir, $"cannot list the folder: {e.Message}");
                }
                if (++_entries > MaxFiles) throw new SlsInputException(_root, $"holds more than {MaxFiles} files and folders; a data tree is at "
                    + $"most that big");
                yield return it.Current;
            }
    }
}
