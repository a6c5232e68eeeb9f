using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Vit;

/// <summary>Patches to tokens: a stride-p convolution, flattened to [B, grid*grid, width].</summary>
public sealed class PatchEmbed : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d proj;

    public PatchEmbed(int patch, int inChannels, int width, bool bias = true) : base(nameof(PatchEmbed))
    {
        proj = nn.Conv2d(inChannels, width, patch, stride: patch, bias: bias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return proj.forward(x).flatten(2).transpose(1, 2).MoveToOuterDisposeScope();
    }
}
