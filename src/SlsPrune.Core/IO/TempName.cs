using System.Globalization;
using System.Text.RegularExpressions;

namespace SlsPrune.Core.IO;

/// <summary>The name of a temporary file or folder a writer makes beside its final place,
/// <c>.NAME.HOST.PID.GUID.tmp</c> (<c>.old</c> for an earlier folder stepping aside), and the sweep of those a killed
/// process left. The sweep removes an entry only when its name is exactly that pattern for the same final name (a
/// decimal process id, a GUID of 32 lowercase hex digits), made on this host (another node's live file on shared
/// storage such as NFS is never touched), by a process that is gone, and only of the kind the writer makes (a regular
/// file, or a folder; never a symbolic link): a file of the user's that merely looks like one is kept.</summary>
public static class TempName
{
    /// <summary>This host's name as it appears in temporary names: letters, digits and dashes only.</summary>
    public static string Host { get; } = HostOf(Environment.MachineName);

    /// <summary>A new temporary path beside <paramref name="final"/>, in the same folder.</summary>
    /// <param name="suffix"><c>tmp</c>, or <c>old</c> for an earlier folder moved aside before it is removed.</param>
    public static string Beside(string final, string suffix = "tmp")
    {
        string full = Path.GetFullPath(final).TrimEnd('/');
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Host}."
            + $"{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.{Guid.NewGuid():N}.{suffix}");
    }

    /// <summary>Whether a file's name has the shape of a temporary file (hidden, ending in <c>.tmp</c>), the only names
    /// <see cref="SweepStale"/> may remove.</summary>
    public static bool LooksLikeOne(string path) => Path.GetFileName(path) is ['.', ..] name && name.EndsWith(".tmp", StringComparison.Ordinal);

    /// <summary>Removes what killed writers of <paramref name="name"/> left in <paramref name="dir"/>: temporary files
    /// (<paramref name="folders"/> false) or temporary and earlier folders (true). Errors are ignored: a leftover the
    /// sweep cannot remove stays.</summary>
    public static void SweepStale(string dir, string name, bool folders = false)
    {
        if (!Directory.Exists(dir)) return;
        var pattern = new Regex($"^\\.{Regex.Escape(name)}\\.{Regex.Escape(Host)}\\.([0-9]{{1,10}})\\.[0-9a-f]{{32}}\\."
            + (folders ? "(tmp|old)" : "tmp") + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateFileSystemEntries(dir, $".{name}.*", new EnumerationOptions { AttributesToSkip = 0 }).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (var entry in entries)
        {
            var m = pattern.Match(Path.GetFileName(entry));
            if (!m.Success || !int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || IsRunning(pid))
                continue;
            var info = new FileInfo(entry);
            try
            {
                // never a link, nor a file this run has read (an input named like a temporary file is still an input)
                if (info.LinkTarget is not null || InputFile.WasRead(RealPath.Resolve(entry))) continue;
                if (!folders && FileKind.Of(entry) == PathKind.Regular) File.Delete(entry);
                else if (folders && FileKind.Of(entry) == PathKind.Folder) Directory.Delete(entry, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // in use or not ours to remove: left as it is
            }
        }
    }

    /// <summary>A host name as temporary names hold it: every character but letters, digits and dashes becomes a dash (a
    /// dot would break the name's fields).</summary>
    public static string HostOf(string machine)
    {
        string host = new([.. machine.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '-')]);
        return host.Length == 0 ? "host" : host;
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }
}
