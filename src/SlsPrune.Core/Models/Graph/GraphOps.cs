namespace SlsPrune.Core.Models.Graph;

/// <summary>The layers every family and PETL method is made of, as operators of <see cref="IGraph"/>.</summary>
public static class GraphOps
{
    /// <summary><c>x W^T + b</c> of the model's linear layer <paramref name="prefix"/> (<c>.weight</c>, optional <c>.bias</c>).</summary>
    public static GraphValue Linear(this IGraph g, GraphValue x, string prefix)
    {
        var y = g.Op("MatMul", [x, g.Weight(prefix + ".weight", transpose: true)]);
        return g.HasWeight(prefix + ".bias") ? g.Op("Add", [y, g.Weight(prefix + ".bias")]) : y;
    }

    /// <summary>LayerNormalization over the last axis with the model's <paramref name="prefix"/> weight and bias.</summary>
    public static GraphValue LayerNorm(this IGraph g, GraphValue x, string prefix, double eps) =>
        g.Op("LayerNormalization", [x, g.Weight(prefix + ".weight"), g.Weight(prefix + ".bias")], ("axis", new GraphAttribute.Int(-1)), ("epsilon",
            new GraphAttribute.Float((float)eps)));

    /// <summary>The exact GELU, <c>x / 2 (1 + erf(x / sqrt 2))</c> (ONNX's Gelu operator is opset 20).</summary>
    public static GraphValue Gelu(this IGraph g, GraphValue x)
    {
        var erf = g.Op("Erf", [g.Op("Mul", [x, g.Scalar((float)(1 / Math.Sqrt(2)))])]);
        return g.Op("Mul", [g.Op("Mul", [x, g.Scalar(0.5f)]), g.Op("Add", [erf, g.Scalar(1f)])]);
    }

    /// <summary>CLIP's QuickGELU, <c>x sigmoid(1.702 x)</c>.</summary>
    public static GraphValue QuickGelu(this IGraph g, GraphValue x) => g.Op("Mul", [x, g.Op("Sigmoid", [g.Op("Mul", [x, g.Scalar(1.702f)])])]);

    public static GraphValue Add(this IGraph g, GraphValue a, GraphValue b) => g.Op("Add", [a, b]);

    public static GraphValue Scale(this IGraph g, GraphValue x, double s) => g.Op("Mul", [x, g.Scalar((float)s)]);

    public static GraphValue Reshape(this IGraph g, GraphValue x, params long[] shape) => g.Op("Reshape", [x, g.Ints(shape)]);

    public static GraphValue Transpose(this IGraph g, GraphValue x, params long[] perm) => g.Op("Transpose", [x], ("perm",
        new GraphAttribute.Ints(perm)));

    /// <summary><c>x[start:end]</c> along <paramref name="axis"/> (end <see cref="long.MaxValue"/>: to the end).</summary>
    public static GraphValue Slice(this IGraph g, GraphValue x, int axis, long start, long end = long.MaxValue) =>
        g.Op("Slice", [x, g.Ints(start), g.Ints(end), g.Ints(axis)]);

    /// <summary>Index <paramref name="index"/> along <paramref name="axis"/>, which goes (a scalar index).</summary>
    public static GraphValue Take(this IGraph g, GraphValue x, int axis, long index) =>
        g.Op("Gather", [x, g.Op("Squeeze", [g.Ints(index)])], ("axis", new GraphAttribute.Int(axis)));

    public static GraphValue Concat(this IGraph g, int axis, params GraphValue[] xs) => g.Op("Concat", xs, ("axis", new GraphAttribute.Int(axis)));

    /// <summary>A model tensor of shape [1, ...rest] broadcast to the batch of <paramref name="like"/>: [batch, ...rest].</summary>
    public static GraphValue ExpandToBatch(this IGraph g, GraphValue weight, GraphValue like, params long[] rest)
    {
        var batch = g.Op("Slice", [g.Op("Shape", [like]), g.Ints(0), g.Ints(1), g.Ints(0)]);
        return g.Op("Expand", [weight, g.Concat(0, [batch, g.Ints(rest)])]);
    }
}
