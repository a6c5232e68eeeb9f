namespace SlsPrune.Core.Models.Graph;

/// <summary>A value in a dataflow graph being written (a tensor by name).</summary>
public readonly record struct GraphValue(string Name);

/// <summary>An attribute of a graph operation: one int, ints, one float or a string.</summary>
public abstract record GraphAttribute
{
    public sealed record Int(long Value) : GraphAttribute;

    public sealed record Ints(long[] Values) : GraphAttribute;

    public sealed record Float(float Value) : GraphAttribute;

    public sealed record Text(string Value) : GraphAttribute;
}

/// <summary>
/// A dataflow graph of ONNX operators (opset 17) that a backbone writes itself into for export: families and PETL
/// methods describe their forward pass here, next to their TorchSharp modules, and an output format (ONNX) turns
/// it into a file. Weights are the built model's state-dict tensors, named as in the model.
/// </summary>
public interface IGraph
{
    /// <summary>The model's tensor <paramref name="name"/> as a constant of the graph (transposed for a
    /// <c>MatMul</c> right operand when <paramref name="transpose"/>).</summary>
    /// <exception cref="KeyNotFoundException">when the model has no such tensor.</exception>
    GraphValue Weight(string name, bool transpose = false);

    /// <summary>Whether the model has the tensor <paramref name="name"/>.</summary>
    bool HasWeight(string name);

    /// <summary>A 1-D int64 constant.</summary>
    GraphValue Ints(params long[] values);

    /// <summary>A constant tensor of the model's element type computed at export (a mask).</summary>
    GraphValue Constant(float[] values, params long[] shape);

    /// <summary>A scalar constant of the model's element type.</summary>
    GraphValue Scalar(float value);

    /// <summary>One operator with one output.</summary>
    GraphValue Op(string type, GraphValue[] inputs, params (string Name, GraphAttribute Value)[] attributes);
}
