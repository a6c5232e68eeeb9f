using System.Globalization;
using System.Runtime.InteropServices;

namespace SlsPrune.Core.IO;

/// <summary>A lock on one task of a batch output folder, so two processes given the same folder never run the same
/// task at once. The lock file is opened with <see cref="FileShare.None"/>, which .NET takes on Linux as an advisory
/// <c>flock</c>: the kernel drops it when the holder exits, crashed or not, so no stale lock is left. The holder's
/// process id is written inside (for people: <c>cat OUT/locks/NAME.lock</c>); the file itself is never removed (a
/// removal would race with a process opening it). The file is written in place, so one that exists must be a regular
/// file with one name: a symbolic link is never followed there and a hard link is refused (<see cref="Check"/>), or
/// taking the lock would empty the file behind it.</summary>
public sealed class TaskLock : IDisposable
{
    private readonly FileStream _stream;

    private TaskLock(FileStream stream, string path)
    {
        _stream = stream;
        Path = path;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>Takes the lock at <paramref name="path"/>, or returns null when another process (or another open in
    /// this one) holds it; <paramref name="holder"/> is then the process id written in the file, when it can be read.</summary>
    /// <exception cref="SlsInputException">the lock file exists and is a symbolic link, not a regular file, or has other
    /// names (hard links).</exception>
    public static TaskLock? TryTake(string path, out int? holder)
    {
        holder = null;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        Check(path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e.HResult is SharingViolation or LockViolation or WouldBlockLinux or WouldBlockMac)
        {
            holder = ReadPid(path);
            return null;
        }
        // what was opened must be what was checked: a link or a second name put there since is refused before a byte
        // is written (the open itself only creates a file where none was)
        if (FileIdentity.Of(stream.SafeFileHandle) is { } opened
            && (!opened.IsRegular || opened.Links != 1 || FileIdentity.Of(path, followLinks: false) is not { } now || !now.SameFile(opened)))
        {
            stream.Dispose();
            throw new SlsInputException(path, "changed while it was opened (a link put in its place); a task's lock file must be a regular "
                + "file with one name");
        }
        stream.SetLength(0);
        var pid = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        stream.Write(pid);
        stream.Flush();
        return new TaskLock(stream, path);
    }

    /// <summary>Refuses a lock file that exists and is not a regular file with one name (the link itself is looked at,
    /// never followed). A missing one is fine: <see cref="TryTake"/> creates it.</summary>
    /// <exception cref="SlsInputException">naming <paramref name="path"/>.</exception>
    public static void Check(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
            throw new SlsInputException(path, "is a symbolic link; a task's lock file is written in place and never through a link (remove it: "
                + "sls batch makes its own)");
        if (FileKind.Of(path) is PathKind.Missing) return;
        if (FileKind.Of(path) is not PathKind.Regular)
            throw new SlsInputException(path, "is not a regular file; a task's lock file is one (remove it: sls batch makes its own)");
        if (FileIdentity.Of(path, followLinks: false) is { Links: > 1 } id)
            throw new SlsInputException(path, $"has {id.Links} names (hard links); a task's lock file is written in place, which would change "
                + "the file under its other names too (remove it: sls batch makes its own)");
    }

    public void Dispose()
    {
        try
        {
            _stream.SetLength(0); // still held: nobody reads a pid that has gone
        }
        catch (IOException)
        {
            // the lock goes with the handle either way
        }
        _stream.Dispose();
    }

    // Windows' sharing errors; on Unix the refused flock's errno (EWOULDBLOCK: 11 on Linux, 35 on macOS)
    private const int SharingViolation = unchecked((int)0x80070020), LockViolation = unchecked((int)0x80070021), WouldBlockLinux = 11, WouldBlockMac =
        35;

    // .NET's own opens of the file take a shared flock, which the holder's exclusive one refuses: the runtime's
    // open/read shims read it without locking.
    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Open")]
    private static extern IntPtr Open(byte[] utf8Path, int flags, int mode);

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Read")]
    private static extern int Read(IntPtr fd, [Out] byte[] buffer, int size);

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Close")]
    private static extern int Close(IntPtr fd);

    private static int? ReadPid(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        try
        {
            IntPtr fd = Open(System.Text.Encoding.UTF8.GetBytes(path + "\0"), 0 /* PAL_O_RDONLY */, 0);
            if (fd < 0) return null;
            var buffer = new byte[32];
            int n = Read(fd, buffer, buffer.Length);
            _ = Close(fd);
            return n > 0 && int.TryParse(System.Text.Encoding.ASCII.GetString(buffer, 0, n).Trim(), NumberStyles.None, CultureInfo.InvariantCulture,
                out int pid) ? pid : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }
}
