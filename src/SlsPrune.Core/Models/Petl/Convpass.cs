using SlsPrune.Core.Models.Graph;
using SlsPrune.Core.Models.Layers;
using SlsPrune.Core.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Petl;

/// <summary>
/// Convpass (Jie &amp; Deng), as the SLS reference code has it, for any width and square patch grid:
/// Linear(d, h) -> QuickGELU -> 3x3 conv over the patch grid, and the same conv over the cls token as a
/// 1x1 image (zero-padded, so only the kernel centre and bias act) -> QuickGELU -> dropout -> Linear(h, d).
/// A model with more prefix tokens than the class token (a distillation token, registers) has each of them go
/// through the conv as the class token does, on its own as a 1x1 image; a Swin block's tokens (no prefix token,
/// the [B, H, W, C] grid flattened) go through the conv as the grid alone (prefix tokens 0).
/// Joins its branch in parallel: <c>sublayer(n) + s * convpass(n)</c>.
/// </summary>
public sealed class Convpass : BranchAdapter
{
    private readonly Linear adapter_down;
    private readonly Conv2d adapter_conv;
    private readonly Linear adapter_up;
    private readonly QuickGelu act;
    private readonly Dropout dropout;
    private readonly int _hidden;
    private readonly int _prefix;
    private readonly Scalar _scale;

    /// <param name="prefixTokens">tokens before the patch grid (the class token, and a distillation token or registers).</param>
    public Convpass(int width, int hidden, double scale, int prefixTokens = 1) : base(nameof(Convpass))
    {
        _hidden = hidden;
        _prefix = prefixTokens;
        _scale = scale.ToScalar(); // owned for the module's life (see Runtime/Scalars)
        adapter_down = nn.Linear(width, hidden);
        adapter_conv = nn.Conv2d(hidden, hidden, 3, stride: 1, padding: 1);
        adapter_up = nn.Linear(hidden, width);
        act = new QuickGelu();
        dropout = nn.Dropout(0.1);
        RegisterComponents();
    }

    public override Tensor Apply(Func<Tensor, Tensor> sublayer, Tensor normed, Tensor input)
    {
        using var scope = torch.NewDisposeScope(); // see Block
        return sublayer(normed).add(Forward(normed).mul(_scale), Scalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>As Convpass's reference: xavier-uniform down projection, the 3x3 conv starting as the identity
    /// at its centre, zero up projection and biases (so a fresh adapter adds nothing).</summary>
    public override void ResetParameters()
    {
        using var _ = torch.no_grad();
        nn.init.xavier_uniform_(adapter_down.weight);
        adapter_down.bias!.zero_();
        adapter_conv.weight.zero_();
        adapter_conv.weight[.., .., 1, 1].add_(torch.eye(_hidden));
        adapter_conv.bias!.zero_();
        adapter_up.weight.zero_();
        adapter_up.bias!.zero_();
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], n = x.shape[1], p = _prefix;
        long grid = (long)Math.Round(Math.Sqrt(n - p));
        if (grid * grid != n - p) throw new ArgumentException($"Convpass needs {p} prefix token(s) plus a square patch grid; got {n} tokens");
        var down = act.forward(FlatLinear.Apply(adapter_down, x));
        var patches = (p == 0 ? down : down[.., (int)p..]).reshape(b, grid, grid, _hidden).permute(0, 3, 1, 2);
        patches = adapter_conv.forward(patches).permute(0, 2, 3, 1).reshape(b, grid * grid, _hidden);
        if (p > 0)
        {
            var cls = down[.., ..(int)p].reshape(b * p, 1, 1, _hidden).permute(0, 3, 1, 2);
            cls = adapter_conv.forward(cls).permute(0, 2, 3, 1).reshape(b, p, _hidden);
            patches = torch.cat([cls, patches], 1);
        }
        var joined = dropout.forward(act.forward(patches));
        return FlatLinear.Apply(adapter_up, joined).MoveToOuterDisposeScope();
    }

    /// <summary><see cref="Forward"/> in an exported graph (inference: no dropout), for <paramref name="prefixTokens"/>
    /// prefix tokens (0 or more) plus a <paramref name="grid"/> x <paramref name="grid"/> patch grid; <paramref name="prefix"/> names the adapter's
    /// tensors.</summary>
    public static GraphValue Emit(IGraph g, string prefix, long grid, long prefixTokens, long hidden, GraphValue x)
    {
        var down = g.QuickGelu(g.Linear(x, prefix + ".adapter_down"));
        GraphValue Conv(GraphValue image) => g.Op("Conv", [image, g.Weight(prefix + ".adapter_conv.weight"), g.Weight(prefix + ".adapter_conv.bias")],
            ("kernel_shape", new GraphAttribute.Ints([3, 3])), ("pads", new GraphAttribute.Ints([1, 1, 1, 1])));
        var patches = g.Transpose(g.Reshape(prefixTokens == 0 ? down : g.Slice(down, 1, prefixTokens), 0, grid, grid, hidden), 0, 3, 1, 2);
        patches = g.Reshape(g.Transpose(Conv(patches), 0, 2, 3, 1), 0, grid * grid, hidden);
        if (prefixTokens == 0) return g.Linear(g.QuickGelu(patches), prefix + ".adapter_up");
        var cls = g.Transpose(g.Reshape(g.Slice(down, 1, 0, prefixTokens), -1, 1, 1, hidden), 0, 3, 1, 2);
        cls = g.Reshape(g.Transpose(Conv(cls), 0, 2, 3, 1), -1, prefixTokens, hidden);
        return g.Linear(g.QuickGelu(g.Concat(1, cls, patches)), prefix + ".adapter_up");
    }
}
