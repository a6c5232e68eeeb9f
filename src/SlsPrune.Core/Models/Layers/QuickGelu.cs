using SlsPrune.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Layers;

/// <summary>CLIP's QuickGELU, x * sigmoid(1.702 x), as Convpass uses.</summary>
public sealed class QuickGelu : nn.Module<Tensor, Tensor>
{
    private static readonly Scalar Factor = 1.702f.ToScalar(); // process lifetime (see Runtime/Scalars)

    public QuickGelu() : base(nameof(QuickGelu)) { }

    public override Tensor forward(Tensor x) => x.mul(torch.sigmoid(x.mul(Factor)));
}
