using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SlsPrune.Core.IO;

/// <summary>Which file a path or an open handle is (device and inode), how many names it has (hard links) and what it
/// is, by Linux's <c>statx</c>. Paths compared as strings do not see that two names are one file (a hard link); .NET
/// says neither the inode nor the link count. Null where there is nothing at the path, or where the system cannot say
/// (Windows, macOS, a libc without <c>statx</c>): the checks built on it are skipped there.</summary>
public readonly record struct FileIdentity(ulong Device, ulong Inode, uint Links, bool IsLink, bool IsRegular, bool IsFolder)
{
    /// <summary>Whether <paramref name="other"/> is the same file (device and inode).</summary>
    public bool SameFile(FileIdentity other) => Device == other.Device && Inode == other.Inode;

    /// <param name="followLinks">false: a symbolic link itself (<c>lstat</c>), not what it points to.</param>
    public static FileIdentity? Of(string path, bool followLinks = true) =>
        OperatingSystem.IsLinux() ? Query(AtCwd, System.Text.Encoding.UTF8.GetBytes(path + "\0"), followLinks ? 0 : SymlinkNoFollow) : null;

    /// <summary>The file an open handle reads or writes (<c>fstat</c>).</summary>
    public static FileIdentity? Of(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux()) return null;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return Query((int)handle.DangerousGetHandle(), [0], EmptyPath);
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    private const int AtCwd = -100, SymlinkNoFollow = 0x100, EmptyPath = 0x1000;
    private const uint BasicStats = 0x7ff;
    private const int TypeMask = 0xF000, Link = 0xA000, Regular = 0x8000, Folder = 0x4000;

    // struct statx has one layout on every Linux architecture (256 bytes): stx_nlink at 16, stx_mode at 28, stx_ino at
    // 32, stx_dev_major and stx_dev_minor at 136 and 140.
    [DllImport("libc", EntryPoint = "statx")]
    private static extern int Statx(int dirfd, byte[] path, int flags, uint mask, [Out] byte[] buffer);

    private static FileIdentity? Query(int dirfd, byte[] path, int flags)
    {
        var b = new byte[256];
        try
        {
            if (Statx(dirfd, path, flags, BasicStats, b) != 0) return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        int mode = BitConverter.ToUInt16(b, 28) & TypeMask;
        ulong device = ((ulong)BitConverter.ToUInt32(b, 136) << 32) | BitConverter.ToUInt32(b, 140);
        return new FileIdentity(device, BitConverter.ToUInt64(b, 32), BitConverter.ToUInt32(b, 16), mode == Link, mode == Regular, mode == Folder);
    }
}
