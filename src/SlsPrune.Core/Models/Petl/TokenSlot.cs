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
    /// <param name="parameter">the block's parameter of that name as registered now: moving the model to another dtype
    /// or device replaces the registered tensors (and frees the old ones), so a slot reads them through this, never
    /// through the ones it created.</param>
    public abstract Tensor Apply(Tensor tokens, bool training, Func<string, Tensor> parameter);

    /// <summary>The method's initialisation for training from scratch (<paramref name="parameter"/> as in <see cref="Apply"/>).</summary>
    public abstract void Reset(Func<string, Tensor> parameter);
}
