using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Vit;

/// <summary>The representation layer of ImageNet-21k ViT checkpoints (timm &lt; 0.6 <c>pre_logits</c>):
/// Linear + tanh on the pooled token before the head.</summary>
public sealed class PreLogits : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc;

    public PreLogits(int width) : base(nameof(PreLogits))
    {
        fc = nn.Linear(width, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => fc.forward(x).tanh();
}
