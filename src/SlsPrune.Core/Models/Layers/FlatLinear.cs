using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Layers;

/// <summary>
/// A Linear layer applied to [..., in] as one 2-D product with the bias fused in (<c>addmm</c>, on CUDA a
/// GEMM with a bias epilogue), as PyTorch's <c>at::linear</c> does for contiguous input. TorchSharp's
/// Linear goes through libtorch's C++ <c>F::linear</c>, which for 3-D input runs matmul and then a separate
/// broadcast add: on an H100 in bf16 those adds took a third of a ViT-B forward pass.
/// </summary>
public static class FlatLinear
{
    /// <summary>A plain Linear through <see cref="Apply"/>; any other module (LoRA, which flattens itself) as it is.</summary>
    public static Tensor Forward(nn.Module<Tensor, Tensor> layer, Tensor x) => layer is Linear plain ? Apply(plain, x) : layer.forward(x);

    public static Tensor Apply(Linear layer, Tensor x)
    {
        if (x.dim() == 2) return layer.forward(x);
        var shape = x.shape;
        using var flat = x.reshape(-1, shape[^1]);
        using var y = layer.forward(flat);
        shape[^1] = y.shape[1];
        return y.reshape(shape);
    }
}
