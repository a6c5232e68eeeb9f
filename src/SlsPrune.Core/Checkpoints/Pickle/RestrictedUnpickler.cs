using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace SlsPrune.Core.Checkpoints.Pickle;

/// <summary>
/// Reads the pickle of a <c>torch.save</c> file in the spirit of PyTorch's <c>weights_only=True</c>: it builds
/// plain values (dicts, lists, tuples, numbers, strings) and tensor references, and never imports or calls
/// anything. A global outside <see cref="Allowed"/> is refused the moment the pickle names it, before any
/// tensor data is read.
/// </summary>
public sealed class RestrictedUnpickler
{
    /// <summary>The only globals a checkpoint may name.</summary>
    public static readonly IReadOnlySet<string> Allowed = new HashSet<string>(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch.Size",
        "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage",
        "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage",
        "torch.ByteStorage", "torch.BoolStorage",
        "argparse.Namespace",
    };

    /// <summary>Classes a checkpoint may hold beside its state dict (timm's train script saves its arguments as an
    /// <c>argparse.Namespace</c>): built as inert <see cref="PickleObject"/> placeholders, only from no arguments
    /// (NEWOBJ / REDUCE with an empty tuple) and a plain state, and never called. A state dict may not hold one.</summary>
    public static readonly IReadOnlySet<string> InertClasses = new HashSet<string>(StringComparer.Ordinal) { "argparse.Namespace" };

    private static readonly Dictionary<string, TensorDType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = TensorDType.F32, ["DoubleStorage"] = TensorDType.F64, ["HalfStorage"] = TensorDType.F16,
        ["BFloat16Storage"] = TensorDType.BF16, ["LongStorage"] = TensorDType.I64, ["IntStorage"] = TensorDType.I32,
        ["ShortStorage"] = TensorDType.I16, ["CharStorage"] = TensorDType.I8, ["ByteStorage"] = TensorDType.U8,
        ["BoolStorage"] = TensorDType.Bool,
    };

    private static readonly object Mark = new();

    private readonly byte[] _data;
    private readonly string _source;
    private int _pos;
    private readonly List<object?> _stack = [];
    private readonly Dictionary<long, object?> _memo = [];

    private RestrictedUnpickler(byte[] data, string source)
    {
        _data = data;
        _source = source;
    }

    // Bounds that no real state dict comes near (a 10,000-tensor checkpoint runs about 200,000 opcodes), so
    // memory stays bounded even for a small deflated data.pkl that expands to millions of opcodes.
    private const int MaxStack = 1_000_000;
    private const int MaxOps = 4_000_000;
    // Open marks are containers being built inside one another: a state dict nests a few (dict, rebuild arguments,
    // shape tuple), so a deep nest is refused as it is read, before it is built (the dict walk's depth limit, 100, comes
    // after the whole pickle has been built; 200,000 nested dicts cost 65 MB before it).
    private const int MaxOpenMarks = 200;
    private int _ops, _openMarks;

    public static object? Load(byte[] data, string source) => new RestrictedUnpickler(data, source).Run();

    private SlsInputException Bad(string problem) => new(_source, problem);

    private object? Run()
    {
        while (true)
        {
            if (_pos >= _data.Length) throw Bad("pickle ends without a STOP opcode (truncated)");
            if (_stack.Count > MaxStack) throw Bad($"pickle keeps more than {MaxStack} values on its stack; a checkpoint's pickle holds far fewer "
                + $"(refusing to go on)");
            if (++_ops > MaxOps) throw Bad($"pickle runs more than {MaxOps} opcodes; a checkpoint's pickle holds far fewer (refusing to go on)");
            byte op = _data[_pos++];
            switch (op)
            {
                case 0x80: Take(1); break;                                   // PROTO
                case 0x95: Take(8); break;                                   // FRAME
                case (byte)'.': return Pop();                                // STOP
                case (byte)'(':                                              // MARK
                    if (++_openMarks > MaxOpenMarks) throw Bad($"pickle nests more than {MaxOpenMarks} containers inside one another; a state dict "
                        + $"nests a few (refusing to go on)");
                    _stack.Add(Mark);
                    break;
                case (byte)'}': _stack.Add(new PickleDict()); break;         // EMPTY_DICT
                case (byte)']': _stack.Add(new List<object?>()); break;      // EMPTY_LIST
                case (byte)')': _stack.Add(new PickleTuple([])); break;      // EMPTY_TUPLE
                case (byte)'N': _stack.Add(null); break;                     // NONE
                case 0x88: _stack.Add(true); break;                          // NEWTRUE
                case 0x89: _stack.Add(false); break;                         // NEWFALSE
                case (byte)'J': _stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break; // BININT
                case (byte)'K': _stack.Add((long)Take(1)[0]); break;        // BININT1
                case (byte)'M': _stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break; // BININT2
                case 0x8a: _stack.Add(Long(Take(Take(1)[0]))); break;        // LONG1
                case 0x8b: _stack.Add(Long(Take(Length(4)))); break;         // LONG4
                case (byte)'G': _stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break; // BINFLOAT
                case (byte)'X': _stack.Add(Utf8(Take(Length(4)))); break;    // BINUNICODE
                case 0x8c: _stack.Add(Utf8(Take(Take(1)[0]))); break;        // SHORT_BINUNICODE
                case 0x8d: _stack.Add(Utf8(Take(Length(8)))); break;         // BINUNICODE8
                case (byte)'T': _stack.Add(Latin1(Take(Length(4)))); break;  // BINSTRING
                case (byte)'U': _stack.Add(Latin1(Take(Take(1)[0]))); break; // SHORT_BINSTRING
                case (byte)'B': _stack.Add(Take(Length(4)).ToArray()); break; // BINBYTES
                case (byte)'C': _stack.Add(Take(Take(1)[0]).ToArray()); break; // SHORT_BINBYTES
                case 0x8e: _stack.Add(Take(Length(8)).ToArray()); break;     // BINBYTES8
                case (byte)'t': _stack.Add(new PickleTuple(PopToMark())); break; // TUPLE
                case 0x85: _stack.Add(new PickleTuple([Pop()])); break;      // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); _stack.Add(new PickleTuple([a, b])); break; } // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); _stack.Add(new PickleTuple([a, b, c])); break; } // TUPLE3
                case (byte)'l': _stack.Add(PopToMark()); break;              // LIST
                case (byte)'a': { var v = Pop(); AsList(Peek()).Add(v); break; } // APPEND
                case (byte)'e': { var items = PopToMark(); AsList(Peek()).AddRange(items); break; } // APPENDS
                case (byte)'d': _stack.Add(ToDict(PopToMark())); break;      // DICT
                case (byte)'s': { var v = Pop(); var k = Pop(); AsDict(Peek()).Items.Add(new(k, v)); break; } // SETITEM
                case (byte)'u': { var items = PopToMark(); var d = AsDict(Peek()); AddPairs(d, items); break; } // SETITEMS
                case (byte)'q': _memo[Take(1)[0]] = Peek(); break;           // BINPUT
                case (byte)'r': _memo[MemoKey()] = Peek(); break;            // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(); break;               // MEMOIZE
                case (byte)'h': _stack.Add(Memo(Take(1)[0])); break;         // BINGET
                case (byte)'j': _stack.Add(Memo(MemoKey())); break;          // LONG_BINGET
                case (byte)'0': Pop(); break;                                // POP
                case (byte)'1': PopToMark(); break;                          // POP_MARK
                case (byte)'2': _stack.Add(Peek()); break;                   // DUP
                case (byte)'c': _stack.Add(Global(Line(), Line())); break;   // GLOBAL
                case 0x93: { var name = Pop(); var module = Pop(); _stack.Add(Global(AsString(module), AsString(name))); break; } // STACK_GLOBAL
                case (byte)'Q': _stack.Add(PersistentLoad(Pop())); break;    // BINPERSID
                case (byte)'R': { var args = Pop(); var fn = Pop(); _stack.Add(Reduce(fn, args)); break; } // REDUCE
                case 0x81: { var args = Pop(); var cls = Pop(); _stack.Add(Reduce(cls, args)); break; } // NEWOBJ
                case (byte)'b': { var state = Pop(); Build(Peek(), state); break; } // BUILD
                case 0x8f: _stack.Add(new List<object?>()); break;           // EMPTY_SET (kept as a list)
                case 0x90: { var items = PopToMark(); AsList(Peek()).AddRange(items); break; } // ADDITEMS
                default:
                    throw Bad($"pickle opcode 0x{op:x2} at byte {_pos - 1} is not supported in a checkpoint");
            }
        }
    }

    private ReadOnlySpan<byte> Take(long n)
    {
        if (n < 0 || _pos + n > _data.Length) throw Bad("pickle is truncated");
        var s = _data.AsSpan(_pos, (int)n);
        _pos += (int)n;
        return s;
    }

    private long MemoKey() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    private long Length(int bytes)
    {
        ulong n = bytes == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(Take(4)) : BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
        if (n > (ulong)(_data.Length - _pos))
            throw Bad($"pickle gives a length of {n} bytes at byte {_pos - bytes}, past its end (truncated or corrupt)");
        return (long)n;
    }

    private string Line()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0) throw Bad("pickle is truncated");
        string s = Encoding.ASCII.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return s;
    }

    private static object Long(ReadOnlySpan<byte> b)
    {
        var v = new BigInteger(b, isUnsigned: false, isBigEndian: false);
        return v >= long.MinValue && v <= long.MaxValue ? (long)v : v;
    }

    private static string Utf8(ReadOnlySpan<byte> b) => Encoding.UTF8.GetString(b);

    private static string Latin1(ReadOnlySpan<byte> b) => Encoding.Latin1.GetString(b);

    private object? Pop()
    {
        if (_stack.Count == 0) throw Bad("pickle pops from an empty stack");
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        if (ReferenceEquals(v, Mark)) throw Bad("pickle pops a mark as a value");
        return v;
    }

    private object? Peek()
    {
        if (_stack.Count == 0) throw Bad("pickle reads an empty stack");
        return _stack[^1];
    }

    private List<object?> PopToMark()
    {
        int i = _stack.FindLastIndex(v => ReferenceEquals(v, Mark));
        if (i < 0) throw Bad("pickle has no mark to pop to");
        var items = _stack.GetRange(i + 1, _stack.Count - i - 1);
        _stack.RemoveRange(i, _stack.Count - i);
        _openMarks--;
        return items;
    }

    private object? Memo(long key) => _memo.TryGetValue(key, out var v) ? v : throw Bad($"pickle refers to memo entry {key}, which was never stored");

    private List<object?> AsList(object? v) => v as List<object?> ?? throw Bad("pickle appends to something that is not a list");

    private PickleDict AsDict(object? v) => v as PickleDict ?? throw Bad("pickle sets an item on something that is not a dict");

    private string AsString(object? v) => v as string ?? throw Bad("pickle names a global with something that is not a string");

    private PickleDict ToDict(List<object?> items)
    {
        var d = new PickleDict();
        AddPairs(d, items);
        return d;
    }

    private void AddPairs(PickleDict d, List<object?> items)
    {
        if (items.Count % 2 != 0) throw Bad("pickle gives a dict an odd number of items");
        for (int i = 0; i < items.Count; i += 2) d.Items.Add(new(items[i], items[i + 1]));
    }

    private PickleGlobal Global(string module, string name)
    {
        var g = new PickleGlobal(module, name);
        if (!Allowed.Contains(g.ToString()))
            throw Bad($"pickle names the global '{g}', which is not on the allowlist; refusing to load (nothing from the file was run)");
        return g;
    }

    private StorageRef PersistentLoad(object? pid)
    {
        if (pid is not PickleTuple { Items: [string kind, PickleGlobal type, var key, string location, long numel] } || kind != "storage")
            throw Bad("pickle has a persistent id that is not a torch storage reference");
        if (type.Module != "torch" || !StorageTypes.TryGetValue(type.Name, out var dtype))
            throw Bad($"pickle refers to an unsupported storage type '{type}'");
        string k = key switch
        {
            string s => s,
            long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => throw Bad("pickle has a storage key that is not a string")
        };
        return new StorageRef(dtype, k, location, numel);
    }

    private object? Reduce(object? fn, object? args)
    {
        if (fn is not PickleGlobal g) throw Bad("pickle calls something that is not an allowlisted global");
        if (args is not PickleTuple t) throw Bad($"pickle calls {g} with arguments that are not a tuple");
        if (InertClasses.Contains(g.ToString()))
            return t.Items.Count == 0 ? new PickleObject(g) : throw Bad($"pickle calls {g} with arguments; it is only read as an inert "
                + $"placeholder, built from nothing");
        switch (g.ToString())
        {
            case "collections.OrderedDict":
                if (t.Items.Count == 0) return new PickleDict();
                throw Bad("pickle builds an OrderedDict from arguments; only the empty form is supported");
            case "torch.Size":
                return t.Items.Count == 1 && t.Items[0] is PickleTuple dims ? dims : throw Bad("pickle builds torch.Size from unexpected arguments");
            case "torch._utils._rebuild_tensor_v2":
                if (t.Items.Count < 4 || t.Items[0] is not StorageRef storage || t.Items[1] is not long offset)
                    throw Bad("pickle calls _rebuild_tensor_v2 with unexpected arguments");
                var shape = Longs(t.Items[2], "size");
                var stride = Longs(t.Items[3], "stride");
                if (shape.Length != stride.Length) throw Bad("pickle gives a tensor a size and stride of different lengths");
                if (offset < 0) throw Bad("pickle gives a tensor a negative storage offset");
                long last = offset;
                for (int i = 0; i < shape.Length; i++)
                {
                    if (shape[i] < 0 || stride[i] < 0) throw Bad("pickle gives a tensor a negative size or stride");
                    try
                    {
                        if (shape[i] > 0) last = checked(last + (shape[i] - 1) * stride[i]);
                        _ = checked(shape.Aggregate(1L, (a, b) => a * b) * 8);
                    }
                    catch (OverflowException)
                    {
                        throw Bad($"pickle gives a tensor the size [{string.Join(", ", shape)}] and stride [{string.Join(", ", stride)}], which "
                            + $"overflow");
                    }
                }
                if (shape.All(s => s > 0) && last >= storage.ElementCount)
                    throw Bad($"tensor reaches element {last} of storage '{storage.Key}', which has {storage.ElementCount}");
                // A stride-0 (expanded) or overlapping view covers more elements than its storage holds: reading it
                // would allocate the whole view from a few bytes of file.
                long viewElements = shape.Aggregate(1L, (a, b) => a * b);
                if (viewElements > storage.ElementCount)
                    throw Bad($"tensor of size [{string.Join(", ", shape)}] views {viewElements} elements of storage '{storage.Key}', which holds "
                        + $"{storage.ElementCount} (an expanded or overlapping view); refusing to materialise it");
                return new TensorRef(storage, offset, shape, stride);
            case "torch._utils._rebuild_parameter":
                return t.Items.Count >= 1 && t.Items[0] is TensorRef tensor ? tensor : throw Bad("pickle calls _rebuild_parameter with unexpected "
                    + "arguments");
            default:
                throw Bad($"pickle calls {g}, which may not be called");
        }
    }

    private long[] Longs(object? v, string what)
    {
        if (v is not PickleTuple t || t.Items.Any(i => i is not long)) throw Bad($"pickle gives a tensor a {what} that is not a tuple of ints");
        return t.Items.Select(i => (long)i!).ToArray();
    }

    private void Build(object? target, object? state)
    {
        // BUILD sets attributes. Only OrderedDict state (a dict merged in) and a tensor's empty state are meaningful.
        switch (target)
        {
            case PickleDict d when state is PickleDict s:
                d.Items.AddRange(s.Items);
                break;
            case PickleDict or TensorRef when state is null || state is PickleTuple or PickleDict:
                break;
            case PickleObject o when o.State is null && state is null or PickleDict:
                o.State = state;   // kept as data, never applied
                break;
            default:
                throw Bad("pickle sets state on an object that cannot take it");
        }
    }
}
