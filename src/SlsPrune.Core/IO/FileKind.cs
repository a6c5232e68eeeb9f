using System.Runtime.InteropServices;

namespace SlsPrune.Core.IO;

/// <summary>What a path is, by stat: .NET's file attributes do not tell a FIFO (a read blocks forever) or a device
/// such as <c>/dev/zero</c> (a read never ends) from a regular file.</summary>
public enum PathKind
{
    /// <summary>Nothing at the path (and no link).</summary>
    Missing,
    /// <summary>A regular file, or a link to one.</summary>
    Regular,
    /// <summary>A folder, or a link to one.</summary>
    Folder,
    /// <summary>A FIFO, device or socket, or a link to one.</summary>
    Special,
    /// <summary>A symbolic link whose target is missing (or a loop of links).</summary>
    BrokenLink,
}

/// <summary>Whether a path (links followed) is a regular file, a folder or something else.</summary>
public static class FileKind
{
    // The .NET runtime's own stat shim: its FileStatus layout is the same on every Unix (Flags, then Mode).
    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat")]
    private static extern int Stat(byte[] utf8Path, [Out] byte[] status);

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat")]
    private static extern int LStat(byte[] utf8Path, [Out] byte[] status);

    private const int TypeMask = 0xF000, Regular = 0x8000, Directory = 0x4000;

    public static bool IsRegularFile(string path) => Of(path) == PathKind.Regular;

    /// <summary>What <paramref name="path"/> is, following links.</summary>
    public static PathKind Of(string path)
    {
        if (OperatingSystem.IsWindows())
            return File.Exists(path) ? PathKind.Regular : System.IO.Directory.Exists(path) ? PathKind.Folder : PathKind.Missing;
        var status = new byte[512]; // FileStatus is about 130 bytes; room for growth
        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        if (Stat(utf8, status) != 0) return LStat(utf8, status) == 0 ? PathKind.BrokenLink : PathKind.Missing;
        return (BitConverter.ToInt32(status, 4) & TypeMask) switch
        {
            Regular => PathKind.Regular,
            Directory => PathKind.Folder,
            _ => PathKind.Special,
        };
    }
}
