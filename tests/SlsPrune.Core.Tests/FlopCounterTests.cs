using SlsPrune.Core.Evaluation;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Models.Petl.Methods;
using SlsPrune.Core.Models.Vit;

namespace SlsPrune.Core.Tests;

public class FlopCounterTests
{
    // The fixture model: patch 8, grid 4 (16 patches + cls = 17 tokens), width 48, MLP 96, 5 classes, pre-logits.
    private static readonly VitConfig Small = new(8, 4, 48, 3, 3, 96, 5, HasPreLogits: true);

    [Fact]
    public void Plain_vit_counts_every_matmul_and_conv()
    {
        long patch = 16L * 48 * (3 * 8 * 8);                     // conv: 16 positions x 48 outputs x 192 inputs
        long perBlock = 17L * 48 * 144                            // qkv
                        + 17L * 17 * 48 * 2                       // q k^T and attn v
                        + 17L * 48 * 48                           // proj
                        + 17L * 48 * 96 * 2;                      // fc1, fc2
        long tail = 48L * 48 + 48L * 5;                           // pre-logits, head
        Assert.Equal(2 * (patch + 3 * perBlock + tail), Flops(Small, PetlSettings.None));
    }

    [Fact]
    public void Adapters_add_their_products_and_pruning_removes_whole_blocks()
    {
        long plain = Flops(Small, PetlSettings.None);
        // Convpass per branch: down 17x48x8, 3x3 conv over 16 patches + the cls token as 1x1 (17 x 9 x 8 x 8), up 17x8x48
        long convpassBranch = 17L * 48 * 8 + 17L * 9 * 8 * 8 + 17L * 8 * 48;
        Assert.Equal(plain + 2 * 3 * 2 * convpassBranch, Flops(Small, new PetlSettings(new ConvpassMethod(), 8, 0.7)));
        // RepAdapter per branch: conv_A 17x48x8, grouped conv_B (2 groups): 17 x 48 outputs x 4 inputs
        long repBranch = 17L * 48 * 8 + 17L * 48 * 4;
        var rep = new PetlSettings(new RepAdapterMethod(), 8, 1.3, 2);
        Assert.Equal(plain + 2 * 3 * 2 * repBranch, Flops(Small, rep));
        Assert.Equal(plain, Flops(Small, rep, repAdapterMerged: true));
        // one block pruned
        long perBlock = 17L * 48 * 144 + 17L * 17 * 48 * 2 + 17L * 48 * 48 + 17L * 48 * 96 * 2;
        Assert.Equal(plain - 2 * perBlock, Flops(Small with { Depth = 2 }, PetlSettings.None));
    }

    [Fact]
    public void Lora_adaptformer_and_vpt_add_their_share()
    {
        long plain = Flops(Small, PetlSettings.None);
        // LoRA rank 8 on qkv, per block: A 17x48x8, B 17x8x144
        Assert.Equal(plain + 2 * 3 * (17L * 48 * 8 + 17L * 8 * 144), Flops(Small, new PetlSettings(new LoraMethod(), 8, 0.9)));
        // AdaptFormer hidden 8, MLP branch only: down 17x48x8, up 17x8x48
        Assert.Equal(plain + 2 * 3 * (17L * 48 * 8 + 17L * 8 * 48), Flops(Small, new PetlSettings(new AdaptFormerMethod(), 8, 0.1)));
        // VPT-deep with 4 prompts: every block sees 21 tokens; patch embedding and head are unchanged
        long patch = 16L * 48 * (3 * 8 * 8), tail = 48L * 48 + 48L * 5;
        long block21 = 21L * 48 * 144 + 21L * 21 * 48 * 2 + 21L * 48 * 48 + 21L * 48 * 96 * 2;
        Assert.Equal(2 * (patch + 3 * block21 + tail), Flops(Small, new PetlSettings(new VptMethod(), 4)));
    }

    [Fact]
    public void Vit_b16_is_about_17_6_gflops()
    {
        // The figure the PETL papers quote for ViT-B/16 at 224 (17.6 G "FLOPs" as multiply-accumulates).
        var b = new VitConfig(16, 14, 768, 12, 12, 3072, 1000);
        Assert.InRange(Flops(b, PetlSettings.None) / 2 / 1e9, 17.5, 17.7);
    }

    private static long Flops(VitConfig c, PetlSettings petl, bool repAdapterMerged = false)
    {
        using var model = new VisionTransformer(c, repAdapterMerged ? PetlSettings.None : petl);
        return model.FlopsPerImage();
    }
}
