using SlsPrune.Core.Models.Graph;
using SlsPrune.Core.Models.Layers;
using SlsPrune.Core.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Petl;

/// <summary>
/// AdaptFormer (Chen et al.), its parallel MLP adapter as the official code builds it for ViTs
/// (<c>ffn_option='parallel'</c>, no adapter LayerNorm): <c>down_proj</c> Linear(d, h) -> ReLU -> dropout ->
/// <c>up_proj</c> Linear(h, d), times s (0.1 in the paper). It sits in the MLP slot only and reads the
/// block's residual stream before <c>norm2</c>: <c>mlp(norm2(x)) + s * adapter(x)</c>.
/// </summary>
public sealed class AdaptFormer : BranchAdapter
{
    private readonly Linear down_proj;
    private readonly Linear up_proj;
    private readonly Dropout dropout;
    private readonly Scalar _scale;

    public AdaptFormer(int width, int hidden, double scale) : base(nameof(AdaptFormer))
    {
        down_proj = nn.Linear(width, hidden);
        up_proj = nn.Linear(hidden, width);
        dropout = nn.Dropout(0.1);
        _scale = scale.ToScalar(); // owned for the module's life (see Runtime/Scalars)
        RegisterComponents();
    }

    public override Tensor Apply(Func<Tensor, Tensor> sublayer, Tensor normed, Tensor input)
    {
        using var scope = torch.NewDisposeScope(); // see Block
        var adapted = FlatLinear.Apply(up_proj, dropout.forward(nn.functional.relu(FlatLinear.Apply(down_proj, input))));
        return sublayer(normed).add(adapted, _scale).MoveToOuterDisposeScope();
    }

    /// <summary>As the official code's "lora" init: down Kaiming-uniform (a = sqrt 5), up and biases zero.</summary>
    public override void ResetParameters()
    {
        using var _ = torch.no_grad();
        nn.init.kaiming_uniform_(down_proj.weight, Math.Sqrt(5));
        down_proj.bias!.zero_();
        up_proj.weight.zero_();
        up_proj.bias!.zero_();
    }

    /// <summary><see cref="Apply"/> in an exported graph (inference: no dropout).</summary>
    public static GraphValue Emit(IGraph g, string prefix, double scale, GraphValue branch, GraphValue input) =>
        g.Add(branch, g.Scale(g.Linear(g.Op("Relu", [g.Linear(input, prefix + ".down_proj")]), prefix + ".up_proj"), scale));
}
