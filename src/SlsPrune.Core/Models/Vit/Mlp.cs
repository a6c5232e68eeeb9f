using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Vit;

/// <summary>fc1 -> exact (erf) GELU -> fc2.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly GELU act;
    private readonly Linear fc2;

    public Mlp(int width, int hidden) : base(nameof(Mlp))
    {
        fc1 = nn.Linear(width, hidden);
        act = nn.GELU();
        fc2 = nn.Linear(hidden, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope(); // intermediates freed here, as PyTorch frees them (see Block)
        return FlatLinear.Apply(fc2, act.forward(FlatLinear.Apply(fc1, x))).MoveToOuterDisposeScope();
    }
}
