using System.Security.Cryptography;

namespace SlsPrune.Core;

/// <summary>SHA-256 of files, lowercase hex (as <c>sha256sum</c> prints it).</summary>
public static class FileHash
{
    public static string Sha256(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    /// <summary>The file's full path and hash.</summary>
    public static FileFingerprint Fingerprint(string path) => new(Path.GetFullPath(path), Sha256(path));
}
