namespace SlsPrune.Core.IO;

/// <summary>A file a result was computed from: where it was and its SHA-256.</summary>
public sealed record FileFingerprint(string Path, string Sha256)
{
    /// <summary>Whether <paramref name="sha256"/> is this file's hash (case-insensitive hex).</summary>
    public bool Matches(string sha256) => string.Equals(Sha256, sha256, StringComparison.OrdinalIgnoreCase);
}
