using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Models.Graph;
using SlsPrune.Core.Models.Petl;

namespace SlsPrune.Core.Models.Vit;

/// <summary>A <see cref="VisionTransformer"/>'s inference forward as a graph, by its state-dict names: patch
/// embedding, prefix tokens (class, distillation, registers) and positions, <c>norm_pre</c>, each block with its
/// PETL slots and LayerScale at its own width, final norm, cls pooling (both DeiT heads averaged) or mean pooling
/// and <c>fc_norm</c>, pre-logits and head. Mirrors <see cref="Block"/>, <see cref="Attention"/> and <see cref="Mlp"/>.</summary>
internal static class VitGraph
{
    public static GraphValue Emit(VisionTransformer model, IGraph g, GraphValue images)
    {
        var c = model.Config;
        var petl = model.Petl;
        long d = c.Width, g2 = (long)c.GridSize * c.GridSize;
        GraphValue[] conv = c.PatchBias ? [images, g.Weight("patch_embed.proj.weight"), g.Weight("patch_embed.proj.bias")] : [images,
            g.Weight("patch_embed.proj.weight")];
        var x = g.Op("Conv", conv,
            ("kernel_shape", new GraphAttribute.Ints([c.PatchSize, c.PatchSize])), ("strides", new GraphAttribute.Ints([c.PatchSize, c.PatchSize])));
        x = g.Transpose(g.Reshape(x, 0, d, g2), 0, 2, 1);
        // prefix tokens (class, distillation, registers); positions on the first PosPrefixTokens of them and the patches
        var prefix = new List<GraphValue> { g.ExpandToBatch(g.Weight("cls_token"), x, 1, d) };
        if (c.DistToken) prefix.Add(g.ExpandToBatch(g.Weight("dist_token"), x, 1, d));
        if (c.Registers > 0) prefix.Add(g.ExpandToBatch(g.Weight("reg_token"), x, c.Registers, d));
        var tokens = prefix.Count == 1 ? prefix[0] : g.Concat(1, [.. prefix]);
        int p = c.PosPrefixTokens;
        if (p == c.PrefixTokens) x = g.Add(g.Concat(1, tokens, x), g.Weight("pos_embed"));
        else
        {
            var pos = g.Weight("pos_embed");
            var parts = new List<GraphValue>();
            if (p > 0) parts.Add(g.Add(g.Slice(tokens, 1, 0, p), g.Slice(pos, 1, 0, p)));
            parts.Add(g.Slice(tokens, 1, p));
            parts.Add(g.Add(x, p == 0 ? pos : g.Slice(pos, 1, p)));
            x = g.Concat(1, [.. parts]);
        }
        if (c.NormPre) x = g.LayerNorm(x, "norm_pre", c.LayerNormEps);

        long n = c.Tokens + petl.Method.ExtraTokens(petl);
        int fullHeadDim = c.Width / c.Heads;
        for (int i = 0; i < c.Depth; i++)
        {
            string b = BlockKey.Of(i);
            var kept = c.BlockSizes.Keep(model.Widths[i]);
            int heads = kept.Heads, headDim = kept.HeadDim;
            var shape = new BlockShape(n, d, kept.Inner, kept.MlpUnits, g2);
            x = petl.Method.EmitTokens(g, petl, shape, b, x, firstBlock: i == 0);
            GraphValue Scaled(string ls, GraphValue t) => c.LayerScale ? g.Op("Mul", [t, g.Weight($"{b}.{ls}.gamma")]) : t;
            var h = g.Add(x, petl.Method.EmitBranch(g, petl, shape, b + ".adapter_attn", t => Scaled("ls1", Attention(g, petl, b + ".attn", heads,
                headDim, fullHeadDim, t)),
                g.LayerNorm(x, b + ".norm1", c.LayerNormEps), x));
            x = g.Add(h, petl.Method.EmitBranch(g, petl, shape, b + ".adapter_mlp", t => Scaled("ls2", Mlp(g, petl, b + ".mlp", c.Activation, t)),
                g.LayerNorm(h, b + ".norm2", c.LayerNormEps), h));
        }

        if (c.FinalNorm) x = g.LayerNorm(x, "norm", c.LayerNormEps);
        GraphValue Head(string name, GraphValue t) => c.HeadBias ? g.Linear(t, name) : g.Op("MatMul", [t, g.Weight(name + ".weight",
            transpose: true)]);
        if (c.Pool == VitPool.Avg)
        {
            var mean = g.Op("ReduceMean", [g.Slice(x, 1, -g2)], ("axes", new GraphAttribute.Ints([1])), ("keepdims", new GraphAttribute.Int(0)));
            var pooledAvg = g.LayerNorm(mean, "fc_norm", c.LayerNormEps);
            if (c.HasPreLogits) pooledAvg = g.Op("Tanh", [g.Linear(pooledAvg, "pre_logits.fc")]);
            return c.NumClasses > 0 ? Head("head", pooledAvg) : pooledAvg;
        }
        var pooled = g.Take(x, 1, 0);
        if (c.HasPreLogits) pooled = g.Op("Tanh", [g.Linear(pooled, "pre_logits.fc")]);
        if (c.NumClasses == 0) return pooled;
        var logits = Head("head", pooled);
        return c.DistilledHead ? g.Scale(g.Add(logits, Head("head_dist", g.Take(x, 1, 1))), 0.5) : logits;
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

    private static GraphValue Mlp(IGraph g, PetlSettings petl, string prefix, VitActivation act, GraphValue x)
    {
        var hidden = petl.Method.EmitLinear(g, petl, LinearRole.Fc1, prefix + ".fc1", x);
        return petl.Method.EmitLinear(g, petl, LinearRole.Fc2, prefix + ".fc2", act == VitActivation.QuickGelu ? g.QuickGelu(hidden)
            : g.Gelu(hidden));
    }
}
