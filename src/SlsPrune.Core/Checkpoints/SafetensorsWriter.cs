using System.Buffers.Binary;
using System.Text.Json;
using SlsPrune.Core.IO;
using TorchSharp;

namespace SlsPrune.Core.Checkpoints;

/// <summary>Writes tensors as safetensors, with string <c>__metadata__</c>, atomically (temporary file, then rename).</summary>
public static class SafetensorsWriter
{
    public static void Write(string path, IReadOnlyDictionary<string, torch.Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        AtomicFile.Write(path, stream => Write(stream, tensors, metadata));

    /// <summary>The safetensors bytes to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, IReadOnlyDictionary<string, torch.Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        var payloads = new List<byte[]>(names.Count);
        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var name in names)
            {
                var t = tensors[name];
                var dtype = TensorDTypes.FromTorch(t.dtype);
                using var cpu = t.detach().cpu().contiguous();
                byte[] bytes = cpu.bytes.ToArray();
                payloads.Add(bytes);
                w.WriteStartObject(name);
                w.WriteString("dtype", TensorDTypes.SafetensorsName(dtype));
                w.WriteStartArray("shape");
                foreach (long d in t.shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes.Length;
            }
            w.WriteEndObject();
        }
        // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
        var header = new List<byte>(json.ToArray());
        while ((8 + header.Count) % 8 != 0) header.Add((byte)' ');

        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Count);
        stream.Write(len);
        stream.Write(header.ToArray());
        foreach (var p in payloads) stream.Write(p);
    }
}
