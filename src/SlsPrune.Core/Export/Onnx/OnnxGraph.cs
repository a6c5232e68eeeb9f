using System.Runtime.InteropServices;
using SlsPrune.Core.Models.Graph;
using TorchSharp;
using static TorchSharp.torch;
using S = SlsPrune.Core.Export.Onnx.OnnxSchema;

namespace SlsPrune.Core.Export.Onnx;

/// <summary>
/// An <see cref="IGraph"/> that collects ONNX nodes and initializers: the model's tensors become initializers (in
/// float32 or float16, named as in the model, once each), int64 shape constants and scalars are small
/// initializers, and <see cref="WriteModel"/> writes a <c>ModelProto</c> with one image input (float32, dynamic batch)
/// and one logits output (float32). A float16 graph casts the images in and the logits out.
/// </summary>
public sealed class OnnxGraph : IGraph
{
    private readonly IReadOnlyDictionary<string, Tensor> _weights;
    private readonly bool _half;
    private readonly List<ProtoWriter> _nodes = [];
    private readonly List<ProtoWriter> _initializers = [];
    private readonly Dictionary<string, GraphValue> _named = new(StringComparer.Ordinal);
    private int _next;

    /// <param name="weights">the built model's state dict (not consumed).</param>
    /// <param name="half">float16 weights and arithmetic.</param>
    public OnnxGraph(IReadOnlyDictionary<string, Tensor> weights, bool half = false)
    {
        _weights = weights;
        _half = half;
    }

    /// <summary>The graph's input, <c>images</c> [batch, channels, size, size] float32 (cast when float16).</summary>
    public GraphValue Images(out GraphValue input)
    {
        input = new GraphValue("images");
        return _half ? Op("Cast", [input], ("to", new GraphAttribute.Int(S.DataType.Float16))) : input;
    }

    public bool HasWeight(string name) => _weights.ContainsKey(name);

    public GraphValue Weight(string name, bool transpose = false)
    {
        string key = transpose ? name + ".T" : name;
        if (_named.TryGetValue(key, out var v)) return v;
        if (!_weights.TryGetValue(name, out var t)) throw new KeyNotFoundException($"the model has no tensor '{name}'");
        using var scope = torch.NewDisposeScope();
        var x = t.detach().cpu();
        if (transpose) x = x.t();
        x = x.to(_half ? float16 : float32).contiguous();
        var bytes = x.bytes;
        return _named[key] = Initializer(key, x.shape, _half ? S.DataType.Float16 : S.DataType.Float, bytes);
    }

    public GraphValue Ints(params long[] values)
    {
        string key = "ints:" + string.Join(",", values);
        if (_named.TryGetValue(key, out var v)) return v;
        return _named[key] = Initializer($"const_{_next++}", [values.Length], S.DataType.Int64, MemoryMarshal.AsBytes(values.AsSpan()));
    }

    public GraphValue Constant(float[] values, params long[] shape)
    {
        byte[] bytes = _half ? MemoryMarshal.AsBytes(values.Select(v => (Half)v).ToArray().AsSpan()).ToArray()
            : MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        return Initializer($"const_{_next++}", shape, _half ? S.DataType.Float16 : S.DataType.Float, bytes);
    }

    public GraphValue Scalar(float value)
    {
        string key = "scalar:" + BitConverter.SingleToInt32Bits(value);
        if (_named.TryGetValue(key, out var v)) return v;
        byte[] bytes = _half ? BitConverter.GetBytes((Half)value) : BitConverter.GetBytes(value);
        return _named[key] = Initializer($"const_{_next++}", [], _half ? S.DataType.Float16 : S.DataType.Float, bytes);
    }

    public GraphValue Op(string type, GraphValue[] inputs, params (string Name, GraphAttribute Value)[] attributes) =>
        Node(type, inputs, $"{type.ToLowerInvariant()}_{_next++}", attributes);

    private GraphValue Node(string type, GraphValue[] inputs, string outputName, params (string Name, GraphAttribute Value)[] attributes)
    {
        var output = new GraphValue(outputName);
        var node = new ProtoWriter();
        foreach (var i in inputs) node.Text(S.Node.Input, i.Name);
        node.Text(S.Node.Output, output.Name).Text(S.Node.Name, output.Name).Text(S.Node.OpType, type);
        foreach (var (name, value) in attributes)
        {
            var a = new ProtoWriter().Text(S.Attribute.Name, name);
            switch (value)
            {
                case GraphAttribute.Int i: a.Int(S.Attribute.Type, S.Attribute.TypeInt).Int(S.Attribute.I, i.Value); break;
                case GraphAttribute.Ints i: a.Int(S.Attribute.Type, S.Attribute.TypeInts).Ints(S.Attribute.Ints, i.Values); break;
                case GraphAttribute.Float f: a.Int(S.Attribute.Type, S.Attribute.TypeFloat).Float(S.Attribute.F, f.Value); break;
                case GraphAttribute.Text s:
                    a.Int(S.Attribute.Type, S.Attribute.TypeString).Bytes(S.Attribute.S,
                    System.Text.Encoding.UTF8.GetBytes(s.Value)); break;
                default: throw new ArgumentException($"attribute {name} of an unknown kind");
            }
            node.Message(S.Node.Attribute, a);
        }
        _nodes.Add(node);
        return output;
    }

    /// <summary>The whole model: <paramref name="logits"/> (cast to float32 when float16) as output <c>logits</c>
    /// [batch, classes]; <paramref name="metadata"/> as <c>metadata_props</c>; written to <paramref name="output"/>.</summary>
    public void WriteModel(Stream output, GraphValue input, GraphValue logits, int channels, int imageSize, int classes,
        IReadOnlyDictionary<string, string> metadata, string producerVersion)
    {
        if (_half) logits = Op("Cast", [logits], ("to", new GraphAttribute.Int(S.DataType.Float)));
        var identity = Node("Identity", [logits], "logits");
        var graph = new ProtoWriter();
        foreach (var n in _nodes) graph.Message(S.Graph.Node, n);
        graph.Text(S.Graph.Name, "sls");
        foreach (var t in _initializers) graph.Message(S.Graph.Initializer, t);
        _initializers.Clear();   // the weights are in the graph now: one copy less while it is written
        graph.Message(S.Graph.Input, ValueInfo(input.Name, ["batch", channels, imageSize, imageSize]));
        graph.Message(S.Graph.Output, ValueInfo(identity.Name, ["batch", classes]));

        var model = new ProtoWriter()
            .Int(S.Model.IrVersion, S.IrVersion)
            .Text(S.Model.ProducerName, "sls")
            .Text(S.Model.ProducerVersion, producerVersion)
            .Message(S.Model.OpsetImport, new ProtoWriter().Text(S.OpsetId.Domain, "").Int(S.OpsetId.Version, S.Opset));
        foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            model.Message(S.Model.MetadataProps, new ProtoWriter().Text(S.Entry.Key, k).Text(S.Entry.Value, v));
        model.WriteMessageTo(output, S.Model.Graph, graph);
    }

    private GraphValue Initializer(string name, long[] dims, int dataType, ReadOnlySpan<byte> raw)
    {
        _initializers.Add(new ProtoWriter().Ints(S.Tensor.Dims, dims).Int(S.Tensor.DataType, dataType).Text(S.Tensor.Name, name)
            .Bytes(S.Tensor.RawData, raw));
        return new GraphValue(name);
    }

    private static ProtoWriter ValueInfo(string name, object[] dims)
    {
        var shape = new ProtoWriter();
        foreach (var d in dims)
            shape.Message(S.Shape.Dim, d is string p ? new ProtoWriter().Text(S.Dimension.Param, p) : new ProtoWriter().Int(S.Dimension.Value,
                Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture)));
        var tensor = new ProtoWriter().Int(S.TensorType.ElemType, S.DataType.Float).Message(S.TensorType.Shape, shape);
        return new ProtoWriter().Text(S.ValueInfo.Name, name).Message(S.ValueInfo.Type, new ProtoWriter().Message(S.Type.TensorType, tensor));
    }
}
