using System.Buffers.Binary;
using System.IO.Compression;
using SlsPrune.Core.IO;

namespace SlsPrune.Core.Data;

/// <summary>An array from an IDX file (the MNIST format): element type code, shape, big-endian raw data.</summary>
public sealed record IdxArray(byte TypeCode, int[] Shape, byte[] Raw)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The data of an unsigned-byte (0x08) array.</summary>
    public byte[] Bytes => TypeCode == 0x08 ? Raw : throw new InvalidOperationException($"IDX type 0x{TypeCode:x2} is not unsigned byte");

    /// <summary>Every element as a double, for any IDX type.</summary>
    public double[] ToDoubles()
    {
        int size = IdxFile.ElementSize(TypeCode);
        var r = new double[Count];
        for (long i = 0; i < r.Length; i++)
        {
            var s = Raw.AsSpan((int)(i * size), size);
            r[i] = TypeCode switch
            {
                0x08 => s[0],
                0x09 => (sbyte)s[0],
                0x0B => BinaryPrimitives.ReadInt16BigEndian(s),
                0x0C => BinaryPrimitives.ReadInt32BigEndian(s),
                0x0D => BinaryPrimitives.ReadSingleBigEndian(s),
                _ => BinaryPrimitives.ReadDoubleBigEndian(s),
            };
        }
        return r;
    }
}

/// <summary>Reads IDX files, gzipped (detected by content) or not.</summary>
public static class IdxFile
{
    public static int ElementSize(byte type) => type switch
    {
        0x08 or 0x09 => 1,
        0x0B => 2,
        0x0C or 0x0D => 4,
        0x0E => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), $"unknown IDX type 0x{type:x2}"),
    };

    /// <summary>The largest IDX data read: Fashion-MNIST's largest file is 47 MB.</summary>
    public const long MaxBytes = 256L << 20;

    public static IdxArray Read(string path)
    {
        if (!File.Exists(path)) throw new SlsInputException(path, "file not found");
        byte[] bytes = InputFile.ReadAllBytes(path, MaxBytes, "an IDX file");
        if (bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B) bytes = Inflate(bytes, path);
        return Parse(bytes, path);
    }

    /// <summary>Inflates a gzip stream to exactly the size its IDX header declares, refusing a size past
    /// <see cref="MaxBytes"/> or past what deflate can expand the file to (1032-fold) before allocating it, and
    /// stopping at the first byte past it: a small file cannot make it allocate gigabytes.</summary>
    private static byte[] Inflate(byte[] gzip, string path)
    {
        try
        {
            using var gz = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
            var magic = new byte[4];
            int got = gz.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
            if (got < 4 || magic[0] != 0 || magic[1] != 0) return magic[..got]; // Parse names the problem
            var header = new byte[4 + 4 * magic[3]];
            magic.CopyTo(header, 0);
            got = 4 + gz.ReadAtLeast(header.AsSpan(4), header.Length - 4, throwOnEndOfStream: false);
            if (got < header.Length) return header[..got];
            long total = header.Length + DataBytes(header, path);
            long limit = Math.Min(MaxBytes, gzip.Length * 1032L);
            if (total > limit)
                throw new SlsInputException(path, $"IDX header needs {total} bytes, more than {limit} (the {MaxBytes}-byte limit, or 1032 times "
                    + $"the {gzip.Length} bytes stored): corrupt or crafted");
            var all = new byte[total];
            header.CopyTo(all, 0);
            got = header.Length + gz.ReadAtLeast(all.AsSpan(header.Length), all.Length - header.Length, throwOnEndOfStream: false);
            if (got < all.Length) return all[..got];
            if (gz.Read(new byte[1]) > 0) throw new SlsInputException(path, $"gzip data runs past the {total} bytes the IDX header describes: "
                + $"corrupt or crafted");
            return all;
        }
        catch (InvalidDataException e)
        {
            throw new SlsInputException(path, $"corrupt gzip data ({e.Message})");
        }
    }

    /// <summary>The data bytes an IDX header (magic and shape) describes, checked against <see cref="MaxBytes"/>.</summary>
    private static long DataBytes(byte[] b, string source)
    {
        int size;
        try
        {
            size = ElementSize(b[2]);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new SlsInputException(source, $"unknown IDX element type 0x{b[2]:x2}");
        }
        int dims = b[3];
        if (dims == 0 || b.Length < 4 + 4 * dims) throw new SlsInputException(source, "IDX header is truncated");
        var shape = new int[dims];
        long count = 1;
        for (int i = 0; i < dims; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(4 + 4 * i));
            if (shape[i] < 0) throw new SlsInputException(source, "IDX header has a negative dimension");
            count = shape[i] == 0 || count <= MaxBytes / shape[i] ? count * shape[i] : MaxBytes + 1;
        }
        if (count * size > MaxBytes) throw new SlsInputException(source, $"IDX header's shape [{string.Join(", ", shape)}] needs more than the "
            + $"{MaxBytes}-byte limit");
        return count * size;
    }

    public static IdxArray Parse(byte[] b, string source)
    {
        if (b.Length < 4 || b[0] != 0 || b[1] != 0) throw new SlsInputException(source, "not an IDX file (bad magic)");
        long need = DataBytes(b, source);
        int dims = b[3];
        var shape = Enumerable.Range(0, dims).Select(i => BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(4 + 4 * i))).ToArray();
        long start = 4 + 4 * dims;
        if (b.Length - start != need)
            throw new SlsInputException(source, $"IDX data is {b.Length - start} bytes, the header's shape [{string.Join(", ", shape)}] needs "
                + $"{need}{(b.Length - start < need ? " (truncated)" : "")}");
        return new IdxArray(b[2], shape, b[(int)start..]);
    }
}
