using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Petl;

/// <summary>A block's token slot: what the block does to its input sequence before attention (VPT inserts or
/// replaces its prompt tokens). Its parameters are registered on the block under their own names, so state-dict
/// keys stay <c>blocks.{i}.NAME</c>. A block without one passes its tokens on unchanged.</summary>
public abstract class TokenSlot
{
    /// <summary>Parameters to register on the block, by name.</summary>
    public abstract IReadOnlyDictionary<string, Parameter> Parameters { get; }

    /// <param name="training">the block's mode (dropout acts only while training).</param>
    public abstract Tensor Apply(Tensor tokens, bool training);

    /// <summary>The method's initialisation for training from scratch.</summary>
    public abstract void Reset();
}
