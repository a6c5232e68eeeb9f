using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Models.Vit;

namespace SlsPrune.Core.Evaluation;

/// <summary>
/// FLOPs per image of a (possibly pruned) PETL ViT, counted as 2 x multiply-accumulates of every matrix
/// product and convolution: patch embedding, qkv, the two attention products, proj, fc1, fc2, the PETL
/// modules (LoRA unmerged), pre-logits and head; VPT's prompts count as tokens in every block. Norms, softmax, activations and residual additions are not counted (the
/// usual convention of fvcore and the PETL papers).
/// </summary>
public static class FlopCounter
{
    public static long PerImage(VitConfig c, PetlSettings petl, bool repAdapterMerged = false)
    {
        long d = c.Width, g2 = (long)c.GridSize * c.GridSize, mlp = c.MlpHidden, h = petl.HiddenDim;
        long n = c.Tokens + (petl.Method == PetlMethod.Vpt ? h : 0);                // VPT: the prompts are tokens too
        long macs = g2 * c.InChannels * c.PatchSize * c.PatchSize * d;           // patch embedding
        long block = n * d * 3 * d + 2 * n * n * d + n * d * d + 2 * n * d * mlp;
        long adapters = petl.Method switch
        {
            PetlMethod.Convpass => 2 * (n * d * h + (g2 + 1) * 9 * h * h + n * h * d),  // per branch: down, 3x3 conv (grid and cls), up
            PetlMethod.RepAdapter when !repAdapterMerged => 2 * (n * d * h + n * (h / petl.Groups) * d),  // per branch: conv_A; grouped conv_B
            PetlMethod.Lora => n * d * h + n * h * 3 * d,                        // A and B beside qkv
            PetlMethod.AdaptFormer => n * d * h + n * h * d,                     // down and up beside the MLP
            _ => 0,
        };
        macs += c.Depth * (block + adapters);
        if (c.HasPreLogits) macs += d * d;
        macs += d * c.NumClasses;
        return 2 * macs;
    }
}
