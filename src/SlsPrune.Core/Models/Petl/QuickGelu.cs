using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Petl;

/// <summary>CLIP's QuickGELU, x * sigmoid(1.702 x), as Convpass uses.</summary>
public sealed class QuickGelu : nn.Module<Tensor, Tensor>
{
    public QuickGelu() : base(nameof(QuickGelu)) { }

    public override Tensor forward(Tensor x) => x * torch.sigmoid(x * 1.702);
}
