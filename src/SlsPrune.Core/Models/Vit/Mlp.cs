using SlsPrune.Core.Models.Layers;
using SlsPrune.Core.Models.Petl;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Vit;

/// <summary>fc1 -> exact (erf) GELU (or CLIP's QuickGELU) -> fc2; fc1 and fc2 are the PETL method's linear slots (SPLoRA's LoRA). A width-pruned
/// block has fewer hidden units.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> fc1;
    private readonly nn.Module<Tensor, Tensor> act;
    private readonly nn.Module<Tensor, Tensor> fc2;

    public Mlp(int width, int hidden, PetlSettings petl, VitActivation activation = VitActivation.Gelu) : base(nameof(Mlp))
    {
        fc1 = petl.Method.Linear(petl, LinearRole.Fc1, width, hidden) ?? nn.Linear(width, hidden);
        act = activation == VitActivation.QuickGelu ? new QuickGelu() : nn.GELU();
        fc2 = petl.Method.Linear(petl, LinearRole.Fc2, hidden, width) ?? nn.Linear(hidden, width);
        RegisterComponents();
    }

    /// <summary>The PETL modules in the linear slots re-initialised (no-op without any).</summary>
    public void ResetPetl()
    {
        (fc1 as IPetlModule)?.ResetPetl();
        (fc2 as IPetlModule)?.ResetPetl();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope(); // intermediates freed here, as PyTorch frees them (see Block)
        return FlatLinear.Forward(fc2, act.forward(FlatLinear.Forward(fc1, x))).MoveToOuterDisposeScope();
    }
}
