using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using TorchSharp;

namespace SlsPrune.Core.Checkpoints;

/// <summary>Reader for NumPy <c>.npz</c> archives (one <c>.npy</c> per array, stored or deflated), as Google's
/// ViT checkpoints are saved. Object arrays (pickles) are refused.</summary>
public sealed partial class NpzFile : ICheckpoint
{
    private readonly ZipArchive _zip;
    private readonly Dictionary<string, (ZipArchiveEntry Entry, TensorInfo Info, bool Fortran, bool BigEndian)> _index;

    private NpzFile(string path, ZipArchive zip, Dictionary<string, (ZipArchiveEntry, TensorInfo, bool, bool)> index, List<TensorInfo> tensors)
    {
        Path = path;
        _zip = zip;
        _index = index;
        Tensors = tensors;
    }

    public string Path { get; }

    public CheckpointFormat Format => CheckpointFormat.NumpyNpz;

    public IReadOnlyList<TensorInfo> Tensors { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; } = new Dictionary<string, string>();

    public static NpzFile Open(string path, ZipArchive zip)
    {
        var index = new Dictionary<string, (ZipArchiveEntry, TensorInfo, bool, bool)>(StringComparer.Ordinal);
        var tensors = new List<TensorInfo>();
        foreach (var e in zip.Entries)
        {
            if (!e.FullName.EndsWith(".npy", StringComparison.Ordinal))
                throw new SlsInputException(path, $"npz entry '{e.FullName}' is not a .npy array");
            string name = e.FullName[..^4];
            using var s = OpenEntry(path, e);
            var (dtype, shape, fortran, big, headerLen) = ReadHeader(path, name, s);
            var info = new TensorInfo(name, dtype, shape);
            if (e.Length != headerLen + info.ByteCount)
                throw new SlsInputException(path, $"array '{name}' has {e.Length - headerLen} data bytes, its header needs {info.ByteCount}: "
                    + $"truncated or inconsistent");
            if (info.ByteCount > Array.MaxLength || e.Length > Math.Max(e.CompressedLength, 1) * 1032L)
                throw new SlsInputException(path, $"npz entry '{e.FullName}' claims {e.Length} bytes from {e.CompressedLength} stored: corrupt or "
                    + $"crafted");
            if (!index.TryAdd(name, (e, info, fortran, big)))
                throw new SlsInputException(path, $"array '{name}' appears twice in the archive");
            tensors.Add(info);
        }
        if (tensors.Count == 0) throw new SlsInputException(path, "npz archive holds no arrays");
        return new NpzFile(path, zip, index, tensors);
    }

    private static Stream OpenEntry(string path, ZipArchiveEntry e)
    {
        try
        {
            return e.Open();
        }
        catch (InvalidDataException ex)
        {
            throw new SlsInputException(path, $"cannot open npz entry '{e.FullName}': {ex.Message}");
        }
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranRegex();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();

    private static (TensorDType, long[], bool Fortran, bool BigEndian, long HeaderLen) ReadHeader(string path, string name, Stream s)
    {
        var fixedPart = new byte[10];
        if (s.ReadAtLeast(fixedPart, 10, throwOnEndOfStream: false) < 10 || fixedPart[0] != 0x93 || Encoding.ASCII.GetString(fixedPart, 1,
            5) != "NUMPY")
            throw new SlsInputException(path, $"array '{name}' is not in .npy format (bad magic)");
        int major = fixedPart[6];
        long len;
        int prefix;
        if (major == 1)
        {
            len = BinaryPrimitives.ReadUInt16LittleEndian(fixedPart.AsSpan(8));
            prefix = 10;
        }
        else if (major is 2 or 3)
        {
            var more = new byte[2];
            if (s.ReadAtLeast(more, 2, throwOnEndOfStream: false) < 2)
                throw new SlsInputException(path, $"array '{name}' header is truncated");
            len = BinaryPrimitives.ReadUInt32LittleEndian([fixedPart[8], fixedPart[9], more[0], more[1]]);
            prefix = 12;
        }
        else
        {
            throw new SlsInputException(path, $"array '{name}' uses .npy version {major}, which is not supported");
        }
        if (len > 1_000_000) throw new SlsInputException(path, $"array '{name}' has an implausible header length {len}");
        var header = new byte[len];
        if (s.ReadAtLeast(header, (int)len, throwOnEndOfStream: false) < len)
            throw new SlsInputException(path, $"array '{name}' header is truncated");
        string text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(header);
        var descr = DescrRegex().Match(text);
        var fortran = FortranRegex().Match(text);
        var shapeM = ShapeRegex().Match(text);
        if (!descr.Success || !fortran.Success || !shapeM.Success)
            throw new SlsInputException(path, $"array '{name}' has a header without descr, fortran_order and shape");
        var shape = shapeM.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.TryParse(d, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v) ? v
                : throw new SlsInputException(path, $"array '{name}' has an invalid shape"))
            .ToArray();
        if (!TensorInfo.SizeFits(shape))
            throw new SlsInputException(path, $"array '{name}' has shape [{string.Join(", ", shape)}], whose size overflows");
        var (dtype, big) = ParseDescr(path, name, descr.Groups[1].Value);
        return (dtype, shape, fortran.Groups[1].Value == "True", big, prefix + len);
    }

    private static (TensorDType, bool BigEndian) ParseDescr(string path, string name, string d)
    {
        if (d.Length < 3) throw new SlsInputException(path, $"array '{name}' has dtype '{d}', which is not supported");
        bool big = d[0] == '>';
        TensorDType? t = d[1..] switch
        {
            "f2" => TensorDType.F16,
            "f4" => TensorDType.F32,
            "f8" => TensorDType.F64,
            "i1" => TensorDType.I8,
            "i2" => TensorDType.I16,
            "i4" => TensorDType.I32,
            "i8" => TensorDType.I64,
            "u1" => TensorDType.U8,
            "u2" => TensorDType.U16,
            "u4" => TensorDType.U32,
            "u8" => TensorDType.U64,
            "b1" => TensorDType.Bool,
            _ => null,
        };
        if (t is null || !(d[0] is '<' or '>' or '|' or '='))
            throw new SlsInputException(path, d.Contains('O', StringComparison.Ordinal)
                ? $"array '{name}' is an object array (a pickle); refusing to load it"
                : $"array '{name}' has dtype '{d}', which is not supported");
        return (t.Value, big && TensorDTypes.ElementSize(t.Value) > 1);
    }

    public torch.Tensor Read(string name)
    {
        if (!_index.TryGetValue(name, out var e))
            throw new SlsInputException(Path, $"no array named '{name}'");
        byte[] data;
        lock (_zip)
        {
            using var s = OpenEntry(Path, e.Entry);
            ReadHeader(Path, name, s);
            data = new byte[e.Info.ByteCount];
            try
            {
                s.ReadExactly(data);
            }
            catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException)
            {
                throw new SlsInputException(Path, $"array '{name}' data is truncated or corrupt: {ex.Message}");
            }
        }
        if (e.BigEndian)
        {
            int size = TensorDTypes.ElementSize(e.Info.DType);
            for (int i = 0; i < data.Length; i += size) Array.Reverse(data, i, size);
        }
        if (!e.Fortran) return RawTensor.FromBytes(data, e.Info.DType, e.Info.Shape, Path, name);
        // Fortran order: the bytes are the transpose's C-order layout.
        var reversed = e.Info.Shape.Reverse().ToArray();
        using var t = RawTensor.FromBytes(data, e.Info.DType, reversed, Path, name);
        var perm = Enumerable.Range(0, reversed.Length).Reverse().Select(i => (long)i).ToArray();
        return t.permute(perm).contiguous();
    }

    public void Dispose() => _zip.Dispose();
}
