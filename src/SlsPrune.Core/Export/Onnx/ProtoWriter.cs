using Google.Protobuf;

namespace SlsPrune.Core.Export.Onnx;

/// <summary>One protobuf message written field by field with Google.Protobuf's coded stream (ONNX's schema is
/// proto2: repeated scalars unpacked). A nested message is copied once into its parent, straight from its buffer; the
/// outermost message can go to a stream without a copy of its own (<see cref="WriteMessageTo"/>), so a model's weights
/// are held twice at most while it is written.</summary>
#pragma warning disable CA1001 // a MemoryStream holds no unmanaged resource; the writer lives as long as its message
internal sealed class ProtoWriter
#pragma warning restore CA1001
{
    private readonly MemoryStream _buffer = new();
    private readonly CodedOutputStream _out;

    public ProtoWriter() => _out = new CodedOutputStream(_buffer, leaveOpen: true);

    public ProtoWriter Int(int field, long value)
    {
        _out.WriteTag(field, WireFormat.WireType.Varint);
        _out.WriteInt64(value);
        return this;
    }

    public ProtoWriter Float(int field, float value)
    {
        _out.WriteTag(field, WireFormat.WireType.Fixed32);
        _out.WriteFloat(value);
        return this;
    }

    public ProtoWriter Text(int field, string value)
    {
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteString(value);
        return this;
    }

    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteBytes(ByteString.CopyFrom(value));
        return this;
    }

    public ProtoWriter Message(int field, ProtoWriter message)
    {
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteBytes(UnsafeByteOperations.UnsafeWrap(message.Written()));
        return this;
    }

    /// <summary>This message's fields, then <paramref name="message"/> as field <paramref name="field"/>, to <paramref name="stream"/>.</summary>
    public void WriteMessageTo(Stream stream, int field, ProtoWriter message)
    {
        var head = new ProtoWriter();
        var body = message.Written();
        head._out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        head._out.WriteLength(body.Length);
        stream.Write(Written().Span);
        stream.Write(head.Written().Span);
        stream.Write(body.Span);
    }

    /// <summary>The bytes written so far, without a copy.</summary>
    private ReadOnlyMemory<byte> Written()
    {
        _out.Flush();
        return new ReadOnlyMemory<byte>(_buffer.GetBuffer(), 0, (int)_buffer.Length);
    }

    public ProtoWriter Ints(int field, IEnumerable<long> values)
    {
        foreach (long v in values) Int(field, v);
        return this;
    }
}
