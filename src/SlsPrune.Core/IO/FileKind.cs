using System.Runtime.InteropServices;

namespace SlsPrune.Core;

/// <summary>Whether a path (links followed) is a regular file: a FIFO would block a read forever and a device
/// such as <c>/dev/zero</c> never ends, and .NET's file attributes do not tell them from files.</summary>
public static class FileKind
{
    // The .NET runtime's own stat shim: its FileStatus layout is the same on every Unix (Flags, then Mode).
    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat")]
    private static extern int Stat(byte[] utf8Path, [Out] byte[] status);

    private const int TypeMask = 0xF000, Regular = 0x8000;

    public static bool IsRegularFile(string path)
    {
        if (OperatingSystem.IsWindows()) return File.Exists(path);
        var status = new byte[512]; // FileStatus is about 130 bytes; room for growth
        if (Stat(System.Text.Encoding.UTF8.GetBytes(path + "\0"), status) != 0) return false;
        return (BitConverter.ToInt32(status, 4) & TypeMask) == Regular;
    }
}
