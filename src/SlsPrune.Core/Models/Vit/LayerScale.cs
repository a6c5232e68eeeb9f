using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Vit;

/// <summary>LayerScale (CaiT, DeiT-3, DINOv2): a learned per-channel factor <c>gamma</c> on a branch's output
/// before the residual add.</summary>
public sealed class LayerScale : nn.Module<Tensor, Tensor>
{
    private readonly Parameter gamma;

    public LayerScale(int width) : base(nameof(LayerScale))
    {
        gamma = new Parameter(torch.ones(width));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => x.mul(gamma);
}
