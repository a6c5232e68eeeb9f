using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using SlsPrune.Core.IO;
using TorchSharp;

namespace SlsPrune.Core.Checkpoints;

/// <summary>Reader for the safetensors format: an 8-byte little-endian header length, a JSON header, then the
/// tensors' bytes. The header is validated against the file before anything is read.</summary>
public sealed class SafetensorsFile : ICheckpoint
{
    /// <summary>The reference implementation's limit on the header size.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly FileStream _stream;
    private readonly Dictionary<string, (TensorInfo Info, long Begin, long End)> _index;
    private readonly long _dataStart;

    private SafetensorsFile(string path, FileStream stream, List<TensorInfo> tensors,
        Dictionary<string, (TensorInfo, long, long)> index, Dictionary<string, string> metadata, long dataStart)
    {
        Path = path;
        _stream = stream;
        Tensors = tensors;
        _index = index;
        Metadata = metadata;
        _dataStart = dataStart;
    }

    public string Path { get; }

    public CheckpointFormat Format => CheckpointFormat.Safetensors;

    public IReadOnlyList<TensorInfo> Tensors { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public static SafetensorsFile Open(string path)
    {
        var stream = InputFile.OpenRead(path, "a safetensors file");
        try
        {
            return Parse(path, stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static SafetensorsFile Parse(string path, FileStream stream)
    {
        long fileSize = stream.Length;
        Span<byte> lenBytes = stackalloc byte[8];
        if (fileSize < 8 || stream.Read(lenBytes) != 8)
            throw new SlsInputException(path, $"file is {fileSize} bytes, too short for a safetensors header");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLen > (ulong)(fileSize - 8))
            throw new SlsInputException(path, $"safetensors header length {headerLen} exceeds the file size ({fileSize} bytes): truncated or not a "
                + $"safetensors file");
        if (headerLen > MaxHeaderBytes)
            throw new SlsInputException(path, $"safetensors header length {headerLen} exceeds the {MaxHeaderBytes}-byte limit");
        var header = new byte[headerLen];
        stream.ReadExactly(header);
        long dataStart = 8 + (long)headerLen;
        long dataLen = fileSize - dataStart;

        try
        {
            _ = StrictUtf8.GetCharCount(header);
        }
        catch (DecoderFallbackException)
        {
            throw new SlsInputException(path, "safetensors header is not valid UTF-8");
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new SlsInputException(path, $"safetensors header is not valid JSON ({e.Message})");
        }


        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new SlsInputException(path, "safetensors header is not a JSON object");
            var tensors = new List<TensorInfo>();
            var index = new Dictionary<string, (TensorInfo, long, long)>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object)
                        throw new SlsInputException(path, "__metadata__ is not an object of strings");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw new SlsInputException(path, $"__metadata__ entry '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                var (info, begin, end) = ParseEntry(path, prop);
                if (!index.TryAdd(info.Name, (info, begin, end)))
                    throw new SlsInputException(path, $"tensor '{info.Name}' appears twice in the header");
                tensors.Add(info);
            }

            // Like the reference implementation: the tensors tile the data section exactly, in offset order.
            long expectedBegin = 0;
            foreach (var (info, begin, end) in index.Values.OrderBy(v => v.Item2).ThenBy(v => v.Item3))
            {
                if (begin != expectedBegin)
                    throw new SlsInputException(path, $"tensor '{info.Name}' starts at data offset {begin}, expected {expectedBegin} (overlapping "
                        + $"or gapped offsets)");
                if (end - begin != info.ByteCount)
                    throw new SlsInputException(path,
                        $"tensor '{info.Name}' spans {end - begin} bytes but {TensorDTypes.SafetensorsName(info.DType)} ["
                            + $"{string.Join(", ", info.Shape)}] needs {info.ByteCount}");
                expectedBegin = end;
            }
            if (expectedBegin != dataLen)
                throw new SlsInputException(path, expectedBegin > dataLen
                    ? $"tensor data ends at offset {expectedBegin} but the file has {dataLen} data bytes: truncated"
                    : $"{dataLen - expectedBegin} bytes after the last tensor are not described by the header");
            tensors.Sort((a, b) => index[a.Name].Item2.CompareTo(index[b.Name].Item2));
            return new SafetensorsFile(path, stream, tensors, index, metadata, dataStart);
        }
    }

    private static (TensorInfo, long, long) ParseEntry(string path, JsonProperty prop)
    {
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object
            || !v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String
            || !v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array
            || !v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw new SlsInputException(path, $"header entry '{prop.Name}' needs dtype, shape and data_offsets [begin, end]");
        if (!TensorDTypes.TryParseSafetensors(dt.GetString()!, out var dtype))
            throw new SlsInputException(path, $"tensor '{prop.Name}' has unsupported dtype '{dt.GetString()}'");
        var shape = new long[sh.GetArrayLength()];
        int i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long n) || n < 0)
                throw new SlsInputException(path, $"tensor '{prop.Name}' has an invalid shape");
            shape[i++] = n;
        }
        if (!TensorInfo.SizeFits(shape)) throw new SlsInputException(path, $"tensor '{prop.Name}' has shape [{string.Join(", ", shape)}], whose "
            + $"size overflows");
        if (off[0].ValueKind != JsonValueKind.Number || off[1].ValueKind != JsonValueKind.Number
            || !off[0].TryGetInt64(out long begin) || !off[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw new SlsInputException(path, $"tensor '{prop.Name}' has invalid data_offsets");
        return (new TensorInfo(prop.Name, dtype, shape), begin, end);
    }

    public torch.Tensor Read(string name)
    {
        if (!_index.TryGetValue(name, out var e))
            throw new SlsInputException(Path, $"no tensor named '{name}'");
        var buffer = new byte[e.End - e.Begin];
        lock (_stream)
        {
            _stream.Position = _dataStart + e.Begin;
            _stream.ReadExactly(buffer);
        }
        return RawTensor.FromBytes(buffer, e.Info.DType, e.Info.Shape, Path, name);
    }

    public void Dispose() => _stream.Dispose();
}
