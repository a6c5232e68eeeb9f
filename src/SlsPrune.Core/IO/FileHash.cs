using System.Security.Cryptography;

namespace SlsPrune.Core.IO;

/// <summary>SHA-256 of files, lowercase hex (as <c>sha256sum</c> prints it).</summary>
public static class FileHash
{
    public static string Sha256(string path)
    {
        using var s = InputFile.OpenRead(path, "a hashed file");
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    /// <summary>The file's full path and hash.</summary>
    public static FileFingerprint Fingerprint(string path) => new(Path.GetFullPath(path), Sha256(path));

    /// <summary>The SHA-256 of a manifest of files, the lines <c>sha256sum</c> prints for them ("hash  name\n",
    /// file names only, sorted by name): a fingerprint of a set of files that changes when any of them does.</summary>
    public static string Manifest(IEnumerable<string> files)
    {
        var lines = files.Select(f => $"{Sha256(f)}  {Path.GetFileName(f)}\n").OrderBy(l => l[66..], StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Concat(lines))));
    }
}
