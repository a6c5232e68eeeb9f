namespace SlsPrune.Core.IO;

/// <summary>A path with every symbolic link resolved, in any component (as POSIX <c>realpath</c>): where a
/// file really is, so a link inside a folder that points out of it is seen for what it is.</summary>
public static class RealPath
{
    /// <summary>Link hops followed before giving up (Linux's own limit).</summary>
    private const int MaxHops = 40;

    /// <exception cref="IOException">for a chain of more than 40 links (a loop).</exception>
    public static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        string root = Path.GetPathRoot(full)!;
        var rest = new List<string>(full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries));
        string current = root;
        int hops = 0;
        while (rest.Count > 0)
        {
            string part = rest[0];
            rest.RemoveAt(0);
            if (part == ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }
            string next = Path.Combine(current, part);
            string? target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++hops > MaxHops) throw new IOException($"'{path}' goes through more than {MaxHops} symbolic links (a loop?)");
            if (Path.IsPathRooted(target)) current = Path.GetPathRoot(target)!;
            rest.InsertRange(0, target.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries));
        }
        return current;
    }
}
