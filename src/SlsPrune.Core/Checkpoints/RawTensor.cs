using System.Buffers.Binary;
using System.Runtime.InteropServices;
using TorchSharp;

namespace SlsPrune.Core.Checkpoints;

/// <summary>Builds torch tensors from little-endian element bytes as stored in checkpoint files.</summary>
public static class RawTensor
{
    /// <param name="source">file name for error messages.</param>
    /// <param name="name">tensor name for error messages.</param>
    public static torch.Tensor FromBytes(ReadOnlySpan<byte> data, TensorDType dtype, long[] shape, string source, string name)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        long expected = count * TensorDTypes.ElementSize(dtype);
        if (data.Length != expected)
            throw new SlsInputException(source, $"tensor '{name}' has {data.Length} bytes of data, its dtype and shape need {expected}");
        var type = TensorDTypes.TorchType(dtype);
        var t = torch.empty(shape, type);
        switch (dtype)
        {
            case TensorDType.U16:
                Fill(t, Widen(data, 2, (s) => BinaryPrimitives.ReadUInt16LittleEndian(s)));
                break;
            case TensorDType.U32:
                Fill(t, WidenLong(data, 4, (s) => BinaryPrimitives.ReadUInt32LittleEndian(s)));
                break;
            case TensorDType.U64:
                Fill(t, WidenLong(data, 8, (s) =>
                {
                    ulong v = BinaryPrimitives.ReadUInt64LittleEndian(s);
                    if (v > long.MaxValue)
                        throw new SlsInputException(source, $"tensor '{name}' holds the U64 value {v}, above what int64 can hold");
                    return (long)v;
                }));
                break;
            case TensorDType.F8E4M3:
            case TensorDType.F8E5M2:
            case TensorDType.F8E8M0:
                var f = new float[count];
                for (int i = 0; i < f.Length; i++) f[i] = Float8.Decode(data[i], dtype);
                Fill(t, MemoryMarshal.AsBytes(f.AsSpan()));
                break;
            default:
                Fill(t, data);
                break;
        }
        return t;
    }

    private static void Fill(torch.Tensor t, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 0) t.bytes = bytes.ToArray();
    }

    private delegate T Reader<T>(ReadOnlySpan<byte> s);

    private static byte[] Widen(ReadOnlySpan<byte> data, int size, Reader<ushort> read)
    {
        var v = new int[data.Length / size];
        for (int i = 0; i < v.Length; i++) v[i] = read(data.Slice(i * size, size));
        return MemoryMarshal.AsBytes(v.AsSpan()).ToArray();
    }

    private static byte[] WidenLong(ReadOnlySpan<byte> data, int size, Reader<long> read)
    {
        var v = new long[data.Length / size];
        for (int i = 0; i < v.Length; i++) v[i] = read(data.Slice(i * size, size));
        return MemoryMarshal.AsBytes(v.AsSpan()).ToArray();
    }
}
