using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Vit;

/// <summary>A pre-norm transformer block. Each branch goes through its adapter slot, which decides how
/// the PETL module joins it (none, parallel as Convpass, sequential as RepAdapter).</summary>
public sealed class Block : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly Attention attn;
    private readonly BranchAdapter adapter_attn;
    private readonly LayerNorm norm2;
    private readonly Mlp mlp;
    private readonly BranchAdapter adapter_mlp;

    public Block(VitConfig config, PetlSettings petl) : base(nameof(Block))
    {
        norm1 = nn.LayerNorm(config.Width, eps: 1e-6);
        attn = new Attention(config.Width, config.Heads);
        adapter_attn = BranchAdapter.Create(petl, config);
        norm2 = nn.LayerNorm(config.Width, eps: 1e-6);
        mlp = new Mlp(config.Width, config.MlpHidden);
        adapter_mlp = BranchAdapter.Create(petl, config);
        RegisterComponents();
    }

    public void ResetAdapters()
    {
        adapter_attn.ResetParameters();
        adapter_mlp.ResetParameters();
    }

    public override Tensor forward(Tensor x)
    {
        // Each module frees its intermediates when it returns (a dispose scope per forward), as PyTorch frees
        // them by reference counting; otherwise a whole forward pass's activations live until the caller's
        // scope ends. Autograd keeps what it saved for backward either way. Explicit alphas: Runtime/Scalars.
        using var scope = torch.NewDisposeScope();
        var h = x.add(adapter_attn.Apply(attn, norm1.forward(x)), Scalars.One);
        return h.add(adapter_mlp.Apply(mlp, norm2.forward(h)), Scalars.One).MoveToOuterDisposeScope();
    }
}
