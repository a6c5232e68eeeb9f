using SlsPrune.Core.IO;

namespace SlsPrune.Core.Evaluation;

/// <summary>
/// What an ONNX file declares, read from its protobuf before ONNX Runtime sees it (ONNX Runtime allocates what a
/// model declares when it builds a session, constant folding included): every constant tensor (initializer,
/// <c>Constant</c> value, attribute tensor) must hold the elements it declares within its own bytes and stay under
/// <see cref="MaxElements"/>, sparse tensors' dense shapes too; a declared shape of an input, output or value may
/// not exceed it; a <c>ConstantOfShape</c> needs a constant shape within the bound, an <c>Expand</c> to a constant
/// shape likewise; tensors kept in external files are refused (the file is read alone); subgraphs nest at most
/// <see cref="MaxDepth"/> deep. The file is walked field by field from disk: the weights are skipped, not read.
/// </summary>
public static class OnnxModelCheck
{
    /// <summary>The most elements a tensor may declare: 2^27 (512 MiB of float32; a ViT-H weight has 6.6 million).</summary>
    public const long MaxElements = 1L << 27;

    public const int MaxDepth = 8;

    /// <exception cref="SlsInputException">naming <paramref name="path"/>.</exception>
    public static void Check(string path)
    {
        using var stream = InputFile.OpenRead(path, "an ONNX model", InputFile.MaxOnnxBytes);
        var walker = new Walker(path, new BufferedStream(stream, 1 << 16));
        walker.Model(stream.Length);
        walker.CheckShapeOps();
    }

    private sealed class Walker(string path, Stream s)
    {
        private readonly Dictionary<string, long[]> _ints = new(StringComparer.Ordinal); // small constant int64 tensors by name
        private readonly List<(string Op, string Shape)> _shapeOps = [];

        private SlsInputException Bad(string problem) => new(path, problem);

        private SlsInputException Corrupt() => Bad("not a valid ONNX model (corrupt protobuf)");

        private ulong Varint(long end)
        {
            ulong v = 0;
            for (int shift = 0; shift < 70; shift += 7)
            {
                if (s.Position >= end) throw Corrupt();
                int b = s.ReadByte();
                if (b < 0) throw Corrupt();
                v |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return v;
            }
            throw Corrupt();
        }

        /// <summary>Calls <paramref name="field"/>(number, wire type, varint value or payload start, payload end) for each
        /// field of the message in [start, end), the stream left anywhere by the callback.</summary>
        private void Fields(long start, long end, Action<int, int, long, long> field)
        {
            long pos = start;
            while (pos < end)
            {
                if (s.Position != pos) s.Position = pos;
                ulong tag = Varint(end);
                int number = (int)(tag >> 3), wire = (int)(tag & 7);
                if (number == 0) throw Corrupt();
                long value, next;
                switch (wire)
                {
                    case 0:
                        value = (long)Varint(end);
                        next = s.Position;
                        field(number, wire, value, next);
                        break;
                    case 1:
                    case 5:
                        next = s.Position + (wire == 1 ? 8 : 4);
                        if (next > end) throw Corrupt();
                        break;
                    case 2:
                        ulong len = Varint(end);
                        long from = s.Position;
                        if (len > (ulong)(end - from)) throw Corrupt();
                        next = from + (long)len;
                        field(number, wire, from, next);
                        break;
                    default:
                        throw Corrupt();
                }
                pos = next;
            }
        }

        private string Text(long from, long to)
        {
            if (to - from > 4096) return "";
            s.Position = from;
            var bytes = new byte[to - from];
            s.ReadExactly(bytes);
            return System.Text.Encoding.UTF8.GetString(bytes);
        }

        /// <summary>Repeated int64: packed (wire 2) or one per field (wire 0).</summary>
        private void Ints(int wire, long a, long b, List<long> into)
        {
            if (wire == 0) { into.Add(a); return; }
            if (wire != 2) throw Corrupt();
            s.Position = a;
            while (s.Position < b)
            {
                if (into.Count > 64) throw Bad("a tensor or shape has more than 64 dimensions");
                into.Add((long)Varint(b));
            }
        }

        public void Model(long length) => Fields(0, length, (n, w, a, b) => { if (n == 7 && w == 2) Graph(a, b, 0); });

        private void Graph(long start, long end, int depth)
        {
            if (depth > MaxDepth) throw Bad($"subgraphs nest more than {MaxDepth} deep");
            Fields(start, end, (n, w, a, b) =>
            {
                if (w != 2) return;
                switch (n)
                {
                    case 1: Node(a, b, depth); break;
                    case 5: Tensor(a, b); break;
                    case 11: case 12: case 13: ValueInfo(a, b); break;
                    case 15: Sparse(a, b); break;
                }
            });
        }

        private void Node(long start, long end, int depth)
        {
            var inputs = new List<string>();
            var outputs = new List<string>();
            string op = "";
            Fields(start, end, (n, w, a, b) =>
            {
                if (w != 2) return;
                if (n == 1) inputs.Add(Text(a, b));
                else if (n == 2) outputs.Add(Text(a, b));
                else if (n == 4) op = Text(a, b);
            });
            Fields(start, end, (n, w, a, b) =>
            {
                if (n == 5 && w == 2) Attribute(a, b, depth, op == "Constant" && outputs.Count > 0 ? outputs[0] : null);
            });
            if (op == "ConstantOfShape") _shapeOps.Add((op, inputs.Count > 0 ? inputs[0] : ""));
            else if (op == "Expand" && inputs.Count > 1) _shapeOps.Add((op, inputs[1]));
        }

        private void Attribute(long start, long end, int depth, string? constantOutput)
        {
            string name = "";
            var ints = new List<long>();
            Fields(start, end, (n, w, a, b) =>
            {
                if (n == 1 && w == 2) name = Text(a, b);
                else if (n == 8) Ints(w, a, b, ints);
            });
            Fields(start, end, (n, w, a, b) =>
            {
                if (w != 2) return;
                switch (n)
                {
                    case 5: case 10: Tensor(a, b, n == 5 ? constantOutput : null); break;
                    case 6: case 11: Graph(a, b, depth + 1); break;
                    case 22: case 23: Sparse(a, b); break;
                }
            });
            if (constantOutput is not null && name == "value_ints") _ints[constantOutput] = [.. ints];
        }

        private static readonly Dictionary<long, int> ElementBytes = new()
        {
            [1] = 4, [2] = 1, [3] = 1, [4] = 2, [5] = 2, [6] = 4, [7] = 8, [9] = 1,
            [10] = 2, [11] = 8, [12] = 4, [13] = 8, [16] = 2
        };

        /// <summary>A TensorProto: dims within the bound, no external data, and its elements within its own bytes
        /// (raw data exactly as declared; each element of a typed list takes at least one byte).</summary>
        private void Tensor(long start, long end, string? nameAs = null)
        {
            var dims = new List<long>();
            long type = 0, raw = -1, rawAt = -1;
            string name = "";
            bool external = false;
            Fields(start, end, (n, w, a, b) =>
            {
                switch (n)
                {
                    case 1: Ints(w, a, b, dims); break;
                    case 2 when w == 0: type = a; break;
                    case 8 when w == 2: name = Text(a, b); break;
                    case 9 when w == 2: raw = b - a; rawAt = a; break;
                    case 13 when w == 2: external = true; break;
                    case 14 when w == 0: external |= a == 1; break;
                }
            });
            name = nameAs ?? name;
            string label = $"tensor '{Printable.Escape(name)}'";
            if (external) throw Bad($"{label} keeps its data in an external file; sls reads a self-contained ONNX model");
            long elements = Elements(dims, label);
            if (raw >= 0 && ElementBytes.TryGetValue(type, out int size) && raw != elements * size)
                throw Bad($"{label} declares {elements} elements ({elements * size} bytes) but holds {raw} bytes");
            if (raw < 0 && elements > end - start) throw Bad($"{label} declares {elements} elements but holds far fewer");
            if (raw >= 0 && NonFinite(type, rawAt, raw)) throw Bad($"{label} holds NaN or infinite values");
            if (raw < 0 && type == 1)
                Fields(start, end, (n, w, a, b) =>
                {
                    if (n == 4 && w == 2 && NonFinite(1, a,
                    b - a)) throw Bad($"{label} holds NaN or infinite values");
                });
            if (type == 7 && dims.Count <= 1 && elements <= 64)
            {
                var values = new List<long>();
                if (raw >= 0)
                {
                    s.Position = rawAt;
                    var bytes = new byte[raw];
                    s.ReadExactly(bytes);
                    for (int i = 0; i + 8 <= bytes.Length; i += 8) values.Add(BitConverter.ToInt64(bytes, i));
                }
                else Fields(start, end, (n, w, a, b) => { if (n == 7) Ints(w, a, b, values); });
                _ints[name] = [.. values];
            }
        }

        /// <summary>Whether float data (float32, float16 or bfloat16 bytes at <paramref name="at"/>) holds a NaN or an
        /// infinity: weights that would turn every logit into NaN, and every prediction into class 0.</summary>
        private bool NonFinite(long type, long at, long length)
        {
            (int size, uint mask) = type switch { 1 => (4, 0x7F800000u), 10 => (2, 0x7C00u), 16 => (2, 0x7F80u), _ => (0, 0u) };
            if (size == 0) return false;
            s.Position = at;
            var buffer = new byte[Math.Min(length, 1 << 20) / size * size];
            for (long left = length / size * size; left > 0;)
            {
                int n = (int)Math.Min(buffer.Length, left);
                s.ReadExactly(buffer, 0, n);
                left -= n;
                for (int i = 0; i < n; i += size)
                {
                    uint bits = size == 4 ? BitConverter.ToUInt32(buffer, i) : BitConverter.ToUInt16(buffer, i);
                    if ((bits & mask) == mask) return true;
                }
            }
            return false;
        }

        private void Sparse(long start, long end)
        {
            var dims = new List<long>();
            Fields(start, end, (n, w, a, b) => { if (n == 3) Ints(w, a, b, dims); });
            Elements(dims, "a sparse tensor's dense shape");
        }

        private void ValueInfo(long start, long end)
        {
            string name = "";
            var dims = new List<long>();
            Fields(start, end, (n, w, a, b) =>
            {
                if (n == 1 && w == 2) name = Text(a, b);
                else if (n == 2 && w == 2) // TypeProto: tensor_type (1) > shape (2) > dim (1) > dim_value (1)
                    Fields(a, b, (n1, w1, a1, b1) =>
                    {
                        if (n1 == 1 && w1 == 2)
                            Fields(a1, b1, (n2, w2, a2, b2) =>
                            {
                                if (n2 == 2 && w2 == 2)
                                    Fields(a2, b2, (n3, w3, a3, b3) =>
                                    {
                                        if (n3 != 1 || w3 != 2) return;
                                        long dim = 1;
                                        Fields(a3, b3, (n4, w4, a4, _) => { if (n4 == 1 && w4 == 0) dim = a4; });
                                        if (dims.Count > 64) throw Bad("a tensor or shape has more than 64 dimensions");
                                        dims.Add(dim);
                                    });
                            });
                    });
            });
            Elements(dims, $"value '{Printable.Escape(name)}'");
        }

        private long Elements(List<long> dims, string label)
        {
            long elements = 1;
            foreach (long d in dims)
            {
                if (d < 0) throw Bad($"{label} has a negative dimension {d}");
                if (d != 0 && elements > MaxElements / d || (elements *= d) > MaxElements)
                    throw Bad($"{label} has shape [{string.Join(", ", dims)}], more than {MaxElements} elements");
            }
            return elements;
        }

        public void CheckShapeOps()
        {
            foreach (var (op, shape) in _shapeOps)
            {
                if (!_ints.TryGetValue(shape, out var values))
                {
                    if (op == "ConstantOfShape") throw Bad($"ConstantOfShape takes its shape from '{Printable.Escape(shape)}', which is not a "
                        + $"constant in the file; sls refuses a shape it cannot bound");
                    continue;
                }
                Elements([.. values], $"{op} output");
            }
        }
    }
}
