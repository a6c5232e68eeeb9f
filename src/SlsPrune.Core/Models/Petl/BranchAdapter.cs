using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Petl;

/// <summary>The adapter slot of a block branch (<c>adapter_attn</c>, <c>adapter_mlp</c>): given the branch's
/// sublayer (attention or MLP), its normed input and the residual stream before the norm, returns what the
/// branch adds to the residual stream.</summary>
public abstract class BranchAdapter : nn.Module
{
    protected BranchAdapter(string name) : base(name) { }

    public abstract Tensor Apply(Func<Tensor, Tensor> sublayer, Tensor normed, Tensor input);

    /// <summary>The reference code's initialisation for training from scratch (uses torch's global generator).</summary>
    public abstract void ResetParameters();
}

/// <summary>The empty slot: the branch is the sublayer alone. Holds no parameters.</summary>
public sealed class NoAdapter : BranchAdapter
{
    public NoAdapter() : base(nameof(NoAdapter)) { }

    public override Tensor Apply(Func<Tensor, Tensor> sublayer, Tensor normed, Tensor input) => sublayer(normed);

    public override void ResetParameters() { }
}
