using SlsPrune.Core.Models;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Models.Vit;

namespace SlsPrune.Core.Evaluation;

/// <summary>
/// FLOPs per image of a (possibly pruned) PETL ViT, counted as 2 x multiply-accumulates of every matrix
/// product and convolution: patch embedding, qkv, the two attention products, proj, fc1, fc2, the PETL
/// modules (LoRA unmerged), with each width-pruned block's own heads and units, pre-logits and head; VPT's prompts count as tokens in every block. Norms, softmax, activations and residual additions are not counted (the
/// usual convention of fvcore and the PETL papers).
/// </summary>
public static class FlopCounter
{
    /// <param name="widths">per block, the kept heads and MLP units of a width-pruned model (null: full width).</param>
    public static long PerImage(VitConfig c, PetlSettings petl, bool repAdapterMerged = false, IReadOnlyList<BlockWidth?>? widths = null)
    {
        long d = c.Width, g2 = (long)c.GridSize * c.GridSize, h = petl.HiddenDim, hd = c.Width / c.Heads;
        long n = c.Tokens + (petl.Method == PetlMethod.Vpt ? h : 0);                // VPT: the prompts are tokens too
        long macs = g2 * c.InChannels * c.PatchSize * c.PatchSize * d;           // patch embedding
        for (int i = 0; i < c.Depth; i++)
        {
            var w = widths?[i];
            long inner = (w?.Heads.Count ?? c.Heads) * (w?.HeadDims?.Count ?? hd), mlp = w?.MlpUnits.Count ?? c.MlpHidden;
            macs += n * d * 3 * inner + 2 * n * n * inner + n * inner * d + 2 * n * d * mlp;
            macs += petl.Method switch
            {
                PetlMethod.Convpass => 2 * (n * d * h + (g2 + 1) * 9 * h * h + n * h * d),  // per branch: down, 3x3 conv (grid and cls), up
                PetlMethod.RepAdapter when !repAdapterMerged => 2 * (n * d * h + n * (h / petl.Groups) * d),  // per branch: conv_A; grouped conv_B
                PetlMethod.Lora => n * d * h + n * h * 3 * inner,                    // A and B beside qkv
                PetlMethod.SpLora => n * h * (d + 3 * inner) + n * h * (inner + d) + n * h * (d + mlp) + n * h * (mlp + d),  // A and B beside qkv, proj, fc1, fc2
                PetlMethod.AdaptFormer => n * d * h + n * h * d,                     // down and up beside the MLP
                _ => 0,
            };
        }
        if (c.HasPreLogits) macs += d * d;
        macs += d * c.NumClasses;
        return 2 * macs;
    }
}
