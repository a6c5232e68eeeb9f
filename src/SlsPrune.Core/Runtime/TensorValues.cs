using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Runtime;

/// <summary>
/// A tensor's values as a .NET array, every intermediate (the cast, the copy to the CPU, the contiguous copy) held by a
/// dispose scope until the copy is done. TorchSharp passes a tensor's handle to native code without keeping the tensor
/// alive, so an intermediate nothing else refers to can be finalized, and its storage freed, while the next call still
/// reads it. One <c>sls prune</c> in about 55 of a trial build died with SIGSEGV inside <c>at::_ops::to_dtype_layout</c>
/// during the t-SNE, whose only such chains outside a scope were these copies at the start of each fit
/// (docs/BENCHMARKS.md, "Feature batches side by side, and no teardown at exit").
/// </summary>
public static class TensorValues
{
    /// <summary>The values as float32, in row-major order.</summary>
    public static float[] Floats(Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        return t.to(float32).cpu().contiguous().data<float>().ToArray();
    }
}
