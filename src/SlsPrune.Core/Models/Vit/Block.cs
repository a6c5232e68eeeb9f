using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Vit;

/// <summary>A pre-norm transformer block with PETL slots filled by the PETL method: a token slot (VPT's prompts),
/// an adapter slot per branch that decides how the PETL module joins it (none, parallel as Convpass and
/// AdaptFormer, sequential as RepAdapter), and the linear layers (LoRA's). Unused slots are empty. A LayerScale
/// family (DINOv2, DeiT-3) scales each sublayer's output (<c>ls1</c>, <c>ls2</c>) before the adapter joins it.</summary>
public sealed class Block : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly Attention attn;
    private readonly BranchAdapter adapter_attn;
    private readonly LayerNorm norm2;
    private readonly Mlp mlp;
    private readonly BranchAdapter adapter_mlp;
    private readonly LayerScale? ls1;
    private readonly LayerScale? ls2;
    private readonly TokenSlot? _tokens;

    /// <param name="width">kept heads and MLP units of a width-pruned block (null: all).</param>
    public Block(VitConfig config, PetlSettings petl, int index, BlockWidth? width = null) : base(nameof(Block))
    {
        norm1 = nn.LayerNorm(config.Width, eps: config.LayerNormEps);
        var full = config.BlockSizes;
        var kept = full.Keep(width);
        attn = new Attention(config.Width, kept.Heads, kept.HeadDim, petl, full.HeadDim);
        adapter_attn = petl.Method.Adapter(petl, config.Width, Branch.Attention, config.PrefixTokens) ?? new NoAdapter();
        norm2 = nn.LayerNorm(config.Width, eps: config.LayerNormEps);
        mlp = new Mlp(config.Width, kept.MlpUnits, petl, config.Activation);
        adapter_mlp = petl.Method.Adapter(petl, config.Width, Branch.Mlp, config.PrefixTokens) ?? new NoAdapter();
        if (config.LayerScale)
        {
            ls1 = new LayerScale(config.Width);
            ls2 = new LayerScale(config.Width);
        }
        _tokens = petl.Method.Tokens(petl, config.Width, config.PatchSize, firstBlock: index == 0);
        RegisterComponents();
        foreach (var (name, p) in _tokens?.Parameters ?? new Dictionary<string, Parameter>()) register_parameter(name, p);
    }

    public void ResetAdapters()
    {
        adapter_attn.ResetParameters();
        adapter_mlp.ResetParameters();
        attn.ResetPetl();
        mlp.ResetPetl();
        _tokens?.Reset(Registered);
    }

    /// <summary>The token slot's parameter as registered on this block now (a dtype or device move replaces it).</summary>
    private Tensor Registered(string name) => get_parameter(name) ?? throw new InvalidOperationException($"no parameter '{name}' on the block");

    public override Tensor forward(Tensor x)
    {
        // Each module frees its intermediates when it returns (a dispose scope per forward), as PyTorch frees
        // them by reference counting; otherwise a whole forward pass's activations live until the caller's
        // scope ends. Autograd keeps what it saved for backward either way. Explicit alphas: Runtime/Scalars.
        using var scope = torch.NewDisposeScope();
        if (_tokens is not null) x = _tokens.Apply(x, training, Registered);
        // LayerScale multiplies the sublayer's output (the adapters join next to it, unscaled)
        var h = x.add(adapter_attn.Apply(ls1 is null ? attn.forward : t => ls1.forward(attn.forward(t)), norm1.forward(x), x), Scalars.One);
        return h.add(adapter_mlp.Apply(ls2 is null ? mlp.forward : t => ls2.forward(mlp.forward(t)), norm2.forward(h), h), Scalars.One)
            .MoveToOuterDisposeScope();
    }
}
