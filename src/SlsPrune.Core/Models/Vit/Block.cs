using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Models;
using SlsPrune.Core.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Vit;

/// <summary>A pre-norm transformer block. Each branch goes through its adapter slot, which decides how
/// the PETL module joins it (none, parallel as Convpass and AdaptFormer, sequential as RepAdapter); LoRA
/// lives in the attention's qkv (SPLoRA: in qkv, proj, fc1 and fc2); VPT-deep gives each block its own prompt tokens after the cls token (the
/// first block inserts them, later blocks replace the previous block's outputs at those places).</summary>
public sealed class Block : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly Attention attn;
    private readonly BranchAdapter adapter_attn;
    private readonly LayerNorm norm2;
    private readonly Mlp mlp;
    private readonly BranchAdapter adapter_mlp;
    private readonly Parameter? prompt_embeddings;
    private readonly Dropout? prompt_dropout;
    private readonly bool _firstBlock;
    private readonly int _promptInit;

    /// <param name="width">kept heads and MLP units of a width-pruned block (null: all).</param>
    public Block(VitConfig config, PetlSettings petl, int index, BlockWidth? width = null) : base(nameof(Block))
    {
        norm1 = nn.LayerNorm(config.Width, eps: 1e-6);
        int headDim = config.Width / config.Heads;
        attn = new Attention(config.Width, width?.Heads.Count ?? config.Heads, width?.HeadDims?.Count ?? headDim, petl, headDim);
        adapter_attn = BranchAdapter.Create(petl, config, mlpBranch: false);
        norm2 = nn.LayerNorm(config.Width, eps: 1e-6);
        mlp = new Mlp(config.Width, width?.MlpUnits.Count ?? config.MlpHidden, petl);
        adapter_mlp = BranchAdapter.Create(petl, config, mlpBranch: true);
        _firstBlock = index == 0;
        if (petl.Method == PetlMethod.Vpt)
        {
            prompt_embeddings = new Parameter(torch.zeros(1, petl.HiddenDim, config.Width));
            prompt_dropout = nn.Dropout(0.1);
            _promptInit = 3 * config.PatchSize * config.PatchSize + config.Width;
        }
        RegisterComponents();
    }

    public void ResetAdapters()
    {
        adapter_attn.ResetParameters();
        adapter_mlp.ResetParameters();
        attn.ResetLora();
        mlp.ResetLora();
        if (prompt_embeddings is not null)
        {
            // VPT's initialisation: uniform in +-sqrt(6 / (3 * patch^2 + width)).
            using var _ = torch.no_grad();
            double bound = Math.Sqrt(6.0 / _promptInit);
            nn.init.uniform_(prompt_embeddings, -bound, bound);
        }
    }

    private Tensor WithPrompts(Tensor x)
    {
        long prompts = prompt_embeddings!.shape[1];
        var rest = _firstBlock ? x[.., 1..] : x[.., (int)(1 + prompts)..];
        return torch.cat([x[.., ..1], prompt_dropout!.forward(prompt_embeddings.expand(x.shape[0], -1, -1)), rest], 1);
    }

    public override Tensor forward(Tensor x)
    {
        // Each module frees its intermediates when it returns (a dispose scope per forward), as PyTorch frees
        // them by reference counting; otherwise a whole forward pass's activations live until the caller's
        // scope ends. Autograd keeps what it saved for backward either way. Explicit alphas: Runtime/Scalars.
        using var scope = torch.NewDisposeScope();
        if (prompt_embeddings is not null) x = WithPrompts(x);
        var h = x.add(adapter_attn.Apply(attn, norm1.forward(x), x), Scalars.One);
        return h.add(adapter_mlp.Apply(mlp, norm2.forward(h), h), Scalars.One).MoveToOuterDisposeScope();
    }
}
