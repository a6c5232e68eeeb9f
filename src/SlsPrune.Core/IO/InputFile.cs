using System.Globalization;
using System.Text;

namespace SlsPrune.Core.IO;

/// <summary>
/// The one way an input file is opened: links followed, it must be a regular file (a FIFO would block the open
/// forever, <c>/dev/zero</c> never ends, a socket cannot be read) and no larger than what its kind can be, checked
/// before a byte is read. Each refusal is an <see cref="SlsInputException"/> naming the file:
/// <c>PATH: not a regular file (a FIFO, device, socket or folder)</c>, <c>PATH: is 3.2 GiB; a config.json is at most 64 MiB</c>.
/// </summary>
public static class InputFile
{
    /// <summary>JSON, YAML, CSV files and split lists: configs, manifests, indexes, results, data lists.</summary>
    public const long MaxTextBytes = 64L << 20;

    /// <summary>Split lists and CSV data files, read line by line into memory: as many lines as a tree may hold files, of 64
    /// bytes (ImageNet's 1.28 million training images as a CSV take about 80 MiB).</summary>
    public const long MaxListBytes = 128L << 20;

    /// <summary>The most lines a split list or CSV data file has, and the most files a walked tree may hold
    /// (<c>FolderWalk.MaxFiles</c>): one bound on a task's images, however they are listed.</summary>
    public const int MaxListLines = 2_000_000;

    /// <summary>The longest line of a split list or CSV data file, in characters: an image path is at most 4,096 bytes on
    /// Linux, so this leaves room for a label and other columns (a 60 MB CSV field took 1.1 GB).</summary>
    public const int MaxLineChars = 8192;

    /// <summary>An ONNX model read whole (protobuf, weights inside): ONNX's own protobuf limit is 2 GiB.</summary>
    public const long MaxOnnxBytes = 2L << 30;

    /// <summary>An image file, read whole before it is decoded (a JPEG of Pillow's 89 million pixels is far smaller).</summary>
    public const long MaxImageBytes = 512L << 20;

    public const string NotRegular = "not a regular file (a FIFO, device, socket or folder)";

    /// <summary>The real path of every file this process has read through here that is named like a temporary file: the
    /// sweep never removes one (<see cref="TempName.SweepStale"/>). Only such names are kept, so the set does not grow with
    /// the images a long batch reads.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> ReadPaths = new(StringComparer.Ordinal);

    /// <summary>Whether this process has read the file at <paramref name="realPath"/> (links resolved).</summary>
    public static bool WasRead(string realPath) => ReadPaths.ContainsKey(realPath);

    /// <summary>Refuses <paramref name="path"/> unless it is a regular file (links followed) of at most
    /// <paramref name="maxBytes"/> bytes; returns its length. <paramref name="what"/> names the kind of file in the
    /// message ("a config.json"); <paramref name="subject"/> is who is blamed (the path by default).</summary>
    public static long Check(string path, long maxBytes, string what, string? subject = null)
    {
        subject ??= path;
        if (!File.Exists(path) && !Directory.Exists(path)) throw new SlsInputException(subject, "file not found");
        if (!FileKind.IsRegularFile(path)) throw new SlsInputException(subject, NotRegular);
        string real;
        try
        {
            real = RealPath.Resolve(path);
        }
        catch (IOException e)
        {
            throw new SlsInputException(subject, $"cannot be resolved: {e.Message}");
        }
        if (IsSystemPath(real)) throw new SlsInputException(subject, $"leads to '{real}', a kernel interface under /proc, /sys or /dev, not a file "
            + $"to read");
        long length = new FileInfo(path).Length;
        if (length > maxBytes) throw new SlsInputException(subject, $"is {Size(length)}; {what} is at most {Size(maxBytes)}");
        if (TempName.LooksLikeOne(real)) ReadPaths.TryAdd(real, 0);
        return length;
    }

    /// <summary>A regular file opened for reading (checked as <see cref="Check"/>, with no size limit beyond
    /// <paramref name="maxBytes"/>): for readers that seek and bound what they read themselves (checkpoints).</summary>
    public static FileStream OpenRead(string path, string what = "an input file", long maxBytes = long.MaxValue, string? subject = null)
    {
        Check(path, maxBytes, what, subject);
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SlsInputException(subject ?? path, $"cannot read: {e.Message}");
        }
    }

    /// <summary>The whole file, checked first; at most <paramref name="maxBytes"/> bytes are read even if it grows.</summary>
    public static byte[] ReadAllBytes(string path, long maxBytes, string what, string? subject = null)
    {
        using var s = OpenRead(path, what, maxBytes, subject);
        long length = s.Length;
        if (length > maxBytes) throw new SlsInputException(subject ?? path, $"is {Size(length)}; {what} is at most {Size(maxBytes)}");
        var bytes = new byte[length];
        try
        {
            int n = s.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            return n == bytes.Length ? bytes : bytes[..n];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SlsInputException(subject ?? path, $"cannot read: {e.Message}");
        }
    }

    /// <summary>The whole file as UTF-8 text (a byte-order mark dropped), checked first.</summary>
    public static string ReadAllText(string path, long maxBytes, string what, string? subject = null)
    {
        var bytes = ReadAllBytes(path, maxBytes, what, subject);
        var span = bytes.AsSpan();
        if (span.StartsWith(Encoding.UTF8.Preamble)) span = span[Encoding.UTF8.Preamble.Length..];
        return Encoding.UTF8.GetString(span);
    }

    /// <summary>A split list's or CSV data file's lines: at most <see cref="MaxListBytes"/>, <see cref="MaxListLines"/>
    /// lines of at most <see cref="MaxLineChars"/> characters, each counted before its line is made.</summary>
    /// <exception cref="SlsInputException">naming the file (or <c>FILE:LINE</c> for a line too long).</exception>
    public static string[] ReadList(string path, string what, string? subject = null) =>
        ReadLines(path, MaxListBytes, MaxListLines, MaxLineChars, what, subject);

    private static string[] ReadLines(string path, long maxBytes, int maxLines, int maxLineChars, string what, string? subject)
    {
        string text = ReadAllText(path, maxBytes, what, subject);
        var lines = new List<string>();
        for (int start = 0; start < text.Length;)
        {
            int end = text.IndexOf('\n', start);
            if (end < 0) end = text.Length;
            int length = end - start;
            if (length > 0 && text[end - 1] == '\r') length--;
            if (lines.Count == maxLines)
                throw new SlsInputException(subject ?? path, $"has more than {maxLines} lines; {what} is at most {maxLines}");
            if (length > maxLineChars)
                throw new SlsInputException($"{subject ?? path}:{lines.Count + 1}", $"line is longer than {maxLineChars} characters; "
                    + $"{what}'s lines are at most {maxLineChars}");
            lines.Add(text.Substring(start, length));
            start = end + 1;
        }
        return [.. lines];
    }

    private static readonly string[] SystemFolders = ["/proc", "/sys", "/dev"];

    /// <summary>Whether a real path (links resolved) is the file system's root or under a kernel interface
    /// (<c>/proc</c>, <c>/sys</c>, <c>/dev</c>), whose files are no data: they can block, never end, or claim 0 bytes.</summary>
    public static bool IsSystemPath(string real)
    {
        if (OperatingSystem.IsWindows()) return false;
        return real == "/" || SystemFolders.Any(p => real == p || real.StartsWith(p + "/", StringComparison.Ordinal));
    }

    /// <summary>A size as people read it: "812 bytes", "64 MiB", "3.2 GiB".</summary>
    public static string Size(long bytes)
    {
        if (bytes < 1024) return $"{bytes} bytes";
        string[] units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return (v == Math.Floor(v) ? v.ToString("0", CultureInfo.InvariantCulture) : v.ToString("0.0", CultureInfo.InvariantCulture)) + " "
            + units[u];
    }
}
