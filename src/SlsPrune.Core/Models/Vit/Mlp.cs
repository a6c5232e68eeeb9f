using SlsPrune.Core.Models.Petl;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Vit;

/// <summary>fc1 -> exact (erf) GELU -> fc2; with SPLoRA both carry LoRA. A width-pruned block has fewer hidden units.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> fc1;
    private readonly GELU act;
    private readonly nn.Module<Tensor, Tensor> fc2;

    public Mlp(int width, int hidden, PetlSettings petl) : base(nameof(Mlp))
    {
        bool lora = petl.Method == PetlMethod.SpLora;
        fc1 = lora ? new LoraLinear(width, hidden, petl.HiddenDim, petl.Scale) : nn.Linear(width, hidden);
        act = nn.GELU();
        fc2 = lora ? new LoraLinear(hidden, width, petl.HiddenDim, petl.Scale) : nn.Linear(hidden, width);
        RegisterComponents();
    }

    /// <summary>SPLoRA's initialisation (no-op otherwise).</summary>
    public void ResetLora()
    {
        (fc1 as LoraLinear)?.ResetLora();
        (fc2 as LoraLinear)?.ResetLora();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope(); // intermediates freed here, as PyTorch frees them (see Block)
        return FlatLinear.Forward(fc2, act.forward(FlatLinear.Forward(fc1, x))).MoveToOuterDisposeScope();
    }
}
