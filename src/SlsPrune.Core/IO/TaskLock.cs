using System.Globalization;
using System.Runtime.InteropServices;

namespace SlsPrune.Core.IO;

/// <summary>A lock on one task of a batch output folder, so two processes given the same folder never run the same
/// task at once. The lock file is opened with <see cref="FileShare.None"/>, which .NET takes on Linux as an advisory
/// <c>flock</c>: the kernel drops it when the holder exits, crashed or not, so no stale lock is left. The holder's
/// process id is written inside (for people: <c>cat OUT/locks/NAME.lock</c>); the file itself is never removed (a
/// removal would race with a process opening it).</summary>
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
    public static TaskLock? TryTake(string path, out int? holder)
    {
        holder = null;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
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
        stream.SetLength(0);
        var pid = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        stream.Write(pid);
        stream.Flush();
        return new TaskLock(stream, path);
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
