using SlsPrune.Core.Models.Vit;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Petl;

/// <summary>The adapter slot of a block branch (<c>adapter_attn</c>, <c>adapter_mlp</c>): given the branch's
/// sublayer (attention or MLP) and the normed input, returns what the branch adds to the residual stream.</summary>
public abstract class BranchAdapter : nn.Module
{
    protected BranchAdapter(string name) : base(name) { }

    public abstract Tensor Apply(nn.Module<Tensor, Tensor> sublayer, Tensor normed);

    /// <summary>The reference code's initialisation for training from scratch (uses torch's global generator).</summary>
    public abstract void ResetParameters();

    public static BranchAdapter Create(PetlSettings petl, VitConfig config) => petl.Method switch
    {
        PetlMethod.Linear => new NoAdapter(),
        PetlMethod.Convpass => new Convpass(config.Width, petl.HiddenDim, petl.Scale),
        PetlMethod.RepAdapter => new RepAdapter(config.Width, petl.HiddenDim, petl.Scale, petl.Groups),
        _ => throw new ArgumentOutOfRangeException(nameof(petl)),
    };
}

/// <summary>The empty slot: the branch is the sublayer alone. Holds no parameters.</summary>
public sealed class NoAdapter : BranchAdapter
{
    public NoAdapter() : base(nameof(NoAdapter)) { }

    public override Tensor Apply(nn.Module<Tensor, Tensor> sublayer, Tensor normed) => sublayer.forward(normed);

    public override void ResetParameters() { }
}
