using System.IO.Compression;
using SlsPrune.Core.Checkpoints.Pickle;
using TorchSharp;

namespace SlsPrune.Core.Checkpoints;

/// <summary>
/// Reader for <c>torch.save</c> zip files (<c>.pt</c>/<c>.pth</c>): <c>ARCHIVE/data.pkl</c> read with the
/// <see cref="RestrictedUnpickler"/>, tensor bytes from <c>ARCHIVE/data/KEY</c>. The state dict is the
/// top-level dict, or the dict under <c>state_dict</c>, <c>model</c> or <c>module</c>; nested dicts of tensors
/// flatten to dotted names. Scalars beside the state dict become metadata.
/// </summary>
public sealed class PyTorchZipFile : ICheckpoint
{
    private static readonly string[] NestingKeys = ["state_dict", "model", "module", "model_state", "params"];

    private readonly ZipArchive _zip;
    private readonly string _prefix;
    private readonly Dictionary<string, TensorRef> _refs;

    private PyTorchZipFile(string path, ZipArchive zip, string prefix, Dictionary<string, TensorRef> refs,
        List<TensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        _zip = zip;
        _prefix = prefix;
        _refs = refs;
        Tensors = tensors;
        Metadata = metadata;
    }

    public string Path { get; }

    public CheckpointFormat Format => CheckpointFormat.PyTorchZip;

    public IReadOnlyList<TensorInfo> Tensors { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The largest data.pkl read: far above any state dict's pickle (a few MB for 10,000 tensors).</summary>
    public const long MaxPickleBytes = 64L << 20;

    /// <summary>The largest small entry read (<c>byteorder</c>): it holds one word.</summary>
    public const long MaxSmallEntryBytes = 64;

    public static PyTorchZipFile Open(string path, ZipArchive zip)
    {
        CheckEntryNames(path, zip);
        var pickles = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl").ToList();
        if (pickles.Count != 1)
            throw new SlsInputException(path, pickles.Count == 0 ? "zip file has no data.pkl: not a torch.save checkpoint"
                : "zip file has more than one data.pkl");
        var pkl = pickles[0];
        string prefix = pkl.FullName[..^"data.pkl".Length];
        var order = zip.GetEntry(prefix + "byteorder");
        if (order != null)
        {
            if (order.Length > MaxSmallEntryBytes)
                throw new SlsInputException(path, $"archive entry '{order.FullName}' is {order.Length} bytes; it holds one word (limit "
                    + $"{MaxSmallEntryBytes})");
            string bo = System.Text.Encoding.ASCII.GetString(ReadEntry(path, order)).Trim();
            if (bo != "little") throw new SlsInputException(path, $"checkpoint was saved with byte order '{bo}'; only little-endian is supported");
        }
        if (pkl.Length > MaxPickleBytes)
            throw new SlsInputException(path, $"data.pkl is {pkl.Length} bytes uncompressed; a checkpoint's pickle is far smaller (limit "
                + $"{MaxPickleBytes})");
        byte[] bytes = ReadEntry(path, pkl);
        object? root = RestrictedUnpickler.Load(bytes, path);

        var stateDict = FindStateDict(path, root) ?? throw new SlsInputException(path, "the pickle holds no dict of tensors (expected a state "
            + "dict, or one under 'state_dict' or 'model')");
        var refs = new Dictionary<string, TensorRef>(StringComparer.Ordinal);
        Flatten(path, stateDict, refs);
        if (refs.Count == 0) throw new SlsInputException(path, "the state dict holds no tensors");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root is PickleDict top)
            foreach (var (k, v) in top.Items)
                if (k is string key && v is string or long or double or bool)
                    metadata[key] = Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)!;
        var tensors = refs.Select(kv => new TensorInfo(kv.Key, kv.Value.Storage.DType, kv.Value.Shape)).ToList();
        foreach (var r in refs.Values)
        {
            var entry = zip.GetEntry(prefix + "data/" + r.Storage.Key)
                ?? throw new SlsInputException(path, $"storage '{r.Storage.Key}' that a tensor uses is missing from the archive");
            long need = r.Storage.ElementCount * TensorDTypes.ElementSize(r.Storage.DType);
            if (entry.Length != need)
                throw new SlsInputException(path, $"storage '{r.Storage.Key}' has {entry.Length} bytes, expected {need}: truncated or inconsistent");
        }
        return new PyTorchZipFile(path, zip, prefix, refs, tensors, metadata);
    }

    private static PickleDict? FindStateDict(string path, object? root)
    {
        if (root is not PickleDict d) return null;
        foreach (var key in NestingKeys)
            foreach (var (k, v) in d.Items)
                if (k is string s && s == key && v is PickleDict inner && PickleDictWalk.Tensors(inner, path).Any())
                    return inner;
        return PickleDictWalk.Tensors(d, path).Any() ? d : null;
    }

    private static void Flatten(string path, PickleDict d, Dictionary<string, TensorRef> into)
    {
        foreach (var (name, t) in PickleDictWalk.Tensors(d, path))
            if (!into.TryAdd(name, t)) throw new SlsInputException(path, $"tensor '{name}' appears twice");
    }

    /// <summary>Entry names that climb out of the archive (<c>..</c>, absolute paths) mark a crafted file:
    /// nothing is extracted to disk here, but such a file is refused rather than half-trusted.</summary>
    public static void CheckEntryNames(string path, ZipArchive zip)
    {
        foreach (var e in zip.Entries)
        {
            string n = e.FullName.Replace('\\', '/');
            if (n.StartsWith('/') || n.Split('/').Contains("..") || (n.Length > 1 && n[1] == ':'))
                throw new SlsInputException(path, $"archive entry '{e.FullName}' points outside the archive; refusing to read it");
        }
    }

    /// <summary>Reads an entry whole, after checking its declared size: no allocation from an unchecked size
    /// (deflate expands at most 1032-fold, and an array holds at most Array.MaxLength bytes).</summary>
    public static byte[] ReadEntry(string path, ZipArchiveEntry entry)
    {
        if (entry.Length > Array.MaxLength || entry.Length > Math.Max(entry.CompressedLength, 1) * 1032L)
            throw new SlsInputException(path, $"archive entry '{entry.FullName}' claims {entry.Length} bytes from {entry.CompressedLength} stored: "
                + $"corrupt or crafted");
        try
        {
            using var s = entry.Open();
            var buffer = new byte[entry.Length];
            s.ReadExactly(buffer);
            return buffer;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new SlsInputException(path, $"cannot read '{entry.FullName}' from the archive: {e.Message}");
        }
    }

    public torch.Tensor Read(string name)
    {
        if (!_refs.TryGetValue(name, out var r))
            throw new SlsInputException(Path, $"no tensor named '{name}'");
        byte[] bytes;
        lock (_zip)
            bytes = ReadEntry(Path, _zip.GetEntry(_prefix + "data/" + r.Storage.Key)!);
        using var storage = RawTensor.FromBytes(bytes, r.Storage.DType, [r.Storage.ElementCount], Path, name);
        return storage.as_strided(r.Shape, r.Stride, r.Offset).contiguous();
    }

    public void Dispose() => _zip.Dispose();
}
