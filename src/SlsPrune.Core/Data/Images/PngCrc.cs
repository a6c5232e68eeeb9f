namespace SlsPrune.Core.Data.Images;

/// <summary>The CRC-32 of a PNG chunk (ISO 3309, as zlib's <c>crc32</c>) over its type and data: written by
/// <see cref="PngEncoder"/>, checked by <see cref="PngDecoder"/>.</summary>
internal static class PngCrc
{
    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>The CRC of a chunk of type <paramref name="type"/> holding <paramref name="data"/>.</summary>
    public static uint Of(ReadOnlySpan<byte> type, ReadOnlySpan<byte> data) => Update(Update(0xFFFFFFFFu, type), data) ^ 0xFFFFFFFFu;

    private static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }
}
