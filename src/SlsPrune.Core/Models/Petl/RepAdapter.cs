using SlsPrune.Core.Models.Graph;
using SlsPrune.Core.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Petl;

/// <summary>
/// RepAdapter (Luo et al.), as the SLS reference code has it: <c>x + s * conv_B(dropout(conv_A(x)))</c> with
/// 1x1 Conv1d over channels, conv_B grouped. Joins its branch sequentially: <c>sublayer(repadapter(n))</c>.
/// Being linear it merges into the following qkv / fc1 (<see cref="RepAdapterMerge"/>).
/// </summary>
public sealed class RepAdapter : BranchAdapter
{
    private readonly Conv1d conv_A;
    private readonly Conv1d conv_B;
    private readonly Dropout dropout;
    private readonly Scalar _scale;

    public RepAdapter(int width, int hidden, double scale, int groups) : base(nameof(RepAdapter))
    {
        if (hidden % groups != 0 || width % groups != 0)
            throw new ArgumentException($"RepAdapter groups {groups} must divide hidden dim {hidden} and width {width}");
        _scale = scale.ToScalar(); // owned for the module's life (see Runtime/Scalars)
        conv_A = nn.Conv1d(width, hidden, 1);
        conv_B = nn.Conv1d(hidden, width, 1, groups: groups);
        dropout = nn.Dropout(0.1);
        RegisterComponents();
    }

    public override Tensor Apply(Func<Tensor, Tensor> sublayer, Tensor normed, Tensor input) => sublayer(Forward(normed));

    /// <summary>As RepAdapter's reference: xavier-uniform conv_A, zero conv_B and biases.</summary>
    public override void ResetParameters()
    {
        using var _ = torch.no_grad();
        nn.init.xavier_uniform_(conv_A.weight);
        conv_A.bias!.zero_();
        conv_B.weight.zero_();
        conv_B.bias!.zero_();
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope(); // see Block
        var channels = x.transpose(1, 2);
        var y = conv_B.forward(dropout.forward(conv_A.forward(channels))).mul(_scale).add(channels, Scalars.One);
        return y.transpose(1, 2).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary><see cref="Forward"/> in an exported graph (inference: no dropout): 1x1 Conv1d over channels, conv_B grouped.</summary>
    public static GraphValue Emit(IGraph g, string prefix, double scale, int groups, GraphValue x)
    {
        var channels = g.Transpose(x, 0, 2, 1);
        var a = g.Op("Conv", [channels, g.Weight(prefix + ".conv_A.weight"), g.Weight(prefix + ".conv_A.bias")], ("kernel_shape",
            new GraphAttribute.Ints([1])));
        var b = g.Op("Conv", [a, g.Weight(prefix + ".conv_B.weight"), g.Weight(prefix + ".conv_B.bias")], ("kernel_shape",
            new GraphAttribute.Ints([1])), ("group", new GraphAttribute.Int(groups)));
        return g.Transpose(g.Add(g.Scale(b, scale), channels), 0, 2, 1);
    }
}
