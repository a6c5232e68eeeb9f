using System.Buffers.Binary;
using System.IO.Compression;

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

    public static IdxArray Read(string path)
    {
        if (!File.Exists(path)) throw new SlsInputException(path, "file not found");
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B)
        {
            try
            {
                using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                using var ms = new MemoryStream();
                gz.CopyTo(ms);
                bytes = ms.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw new SlsInputException(path, $"corrupt gzip data ({e.Message})");
            }
        }
        return Parse(bytes, path);
    }

    public static IdxArray Parse(byte[] b, string source)
    {
        if (b.Length < 4 || b[0] != 0 || b[1] != 0) throw new SlsInputException(source, "not an IDX file (bad magic)");
        byte type = b[2];
        int dims = b[3];
        int size;
        try
        {
            size = ElementSize(type);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new SlsInputException(source, $"unknown IDX element type 0x{type:x2}");
        }
        if (dims == 0 || b.Length < 4 + 4 * dims) throw new SlsInputException(source, "IDX header is truncated");
        var shape = new int[dims];
        long count = 1;
        for (int i = 0; i < dims; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(4 + 4 * i));
            if (shape[i] < 0) throw new SlsInputException(source, "IDX header has a negative dimension");
            count *= shape[i];
        }
        long start = 4 + 4 * dims, need = count * size;
        if (b.Length - start != need)
            throw new SlsInputException(source, $"IDX data is {b.Length - start} bytes, the header's shape [{string.Join(", ", shape)}] needs {need}{(b.Length - start < need ? " (truncated)" : "")}");
        return new IdxArray(type, shape, b[(int)start..]);
    }
}
