using SlsPrune.Core.Models.Graph;
using SlsPrune.Core.Models.Petl;

namespace SlsPrune.Core.Models.Vit;

/// <summary>A <see cref="VisionTransformer"/>'s inference forward as a graph, by its state-dict names: patch
/// embedding, class token and positions, each block with its PETL slots at its own width, final norm, cls pooling,
/// pre-logits and head. Mirrors <see cref="Block"/>, <see cref="Attention"/> and <see cref="Mlp"/>.</summary>
internal static class VitGraph
{
    public static GraphValue Emit(VisionTransformer model, IGraph g, GraphValue images)
    {
        var c = model.Config;
        var petl = model.Petl;
        long d = c.Width, g2 = (long)c.GridSize * c.GridSize;
        var x = g.Op("Conv", [images, g.Weight("patch_embed.proj.weight"), g.Weight("patch_embed.proj.bias")],
            ("kernel_shape", new GraphAttribute.Ints([c.PatchSize, c.PatchSize])), ("strides", new GraphAttribute.Ints([c.PatchSize, c.PatchSize])));
        x = g.Transpose(g.Reshape(x, 0, d, g2), 0, 2, 1);
        x = g.Add(g.Concat(1, g.ExpandToBatch(g.Weight("cls_token"), x, 1, d), x), g.Weight("pos_embed"));

        long n = c.Tokens + petl.Method.ExtraTokens(petl);
        int fullHeadDim = c.Width / c.Heads;
        for (int i = 0; i < c.Depth; i++)
        {
            string b = $"blocks.{i}";
            var w = model.Widths[i];
            int heads = w?.Heads.Count ?? c.Heads, headDim = w?.HeadDims?.Count ?? fullHeadDim;
            var shape = new BlockShape(n, d, heads * headDim, w?.MlpUnits.Count ?? c.MlpHidden, g2);
            x = petl.Method.EmitTokens(g, petl, shape, b, x, firstBlock: i == 0);
            var h = g.Add(x, petl.Method.EmitBranch(g, petl, shape, b + ".adapter_attn", t => Attention(g, petl, b + ".attn", heads, headDim, fullHeadDim, t),
                g.LayerNorm(x, b + ".norm1", c.LayerNormEps), x));
            x = g.Add(h, petl.Method.EmitBranch(g, petl, shape, b + ".adapter_mlp", t => Mlp(g, petl, b + ".mlp", t),
                g.LayerNorm(h, b + ".norm2", c.LayerNormEps), h));
        }

        var pooled = g.Take(g.LayerNorm(x, "norm", c.LayerNormEps), 1, 0);
        if (c.HasPreLogits) pooled = g.Op("Tanh", [g.Linear(pooled, "pre_logits.fc")]);
        return c.NumClasses > 0 ? g.Linear(pooled, "head") : pooled;
    }

    /// <summary>Scaled dot-product attention; logits scaled by the full model's 1 / sqrt(head dim), as <see cref="Vit.Attention"/>.</summary>
    private static GraphValue Attention(IGraph g, PetlSettings petl, string prefix, int heads, int headDim, int fullHeadDim, GraphValue x)
    {
        var qkv = g.Transpose(g.Reshape(petl.Method.EmitLinear(g, petl, LinearRole.Qkv, prefix + ".qkv", x), 0, 0, 3, heads, headDim), 2, 0, 3, 1, 4);
        var q = g.Scale(g.Take(qkv, 0, 0), 1 / Math.Sqrt(fullHeadDim));
        var k = g.Take(qkv, 0, 1);
        var v = g.Take(qkv, 0, 2);
        var attn = g.Op("Softmax", [g.Op("MatMul", [q, g.Transpose(k, 0, 1, 3, 2)])], ("axis", new GraphAttribute.Int(-1)));
        var o = g.Reshape(g.Transpose(g.Op("MatMul", [attn, v]), 0, 2, 1, 3), 0, 0, heads * headDim);
        return petl.Method.EmitLinear(g, petl, LinearRole.Proj, prefix + ".proj", o);
    }

    private static GraphValue Mlp(IGraph g, PetlSettings petl, string prefix, GraphValue x) =>
        petl.Method.EmitLinear(g, petl, LinearRole.Fc2, prefix + ".fc2", g.Gelu(petl.Method.EmitLinear(g, petl, LinearRole.Fc1, prefix + ".fc1", x)));
}
