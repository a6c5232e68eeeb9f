using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Models.Graph;
using SlsPrune.Core.Models.Petl;

namespace SlsPrune.Core.Models.Swin;

/// <summary>A <see cref="SwinTransformer"/>'s inference forward as a graph, by its state-dict names: patch embedding,
/// the kept blocks (window attention with padding, the cyclic shift as slices, the relative position bias gathered
/// from the table, the shift mask as a constant), the patch mergings where stages start and those still missing,
/// final norm, mean over tokens, head; the PETL method's adapter slots on the tokens flattened to [B, H*W, C]; each
/// block's attention and MLP at its own width (the heads and units a width-pruned block keeps). Mirrors
/// <see cref="WindowAttention"/>, <see cref="SwinBlock"/> and <see cref="PatchMerging"/>; tokens are
/// [batch, grid, grid, channels] as there.</summary>
internal static class SwinGraph
{
    public static GraphValue Emit(SwinTransformer model, IGraph g, GraphValue images)
    {
        var c = model.Config;
        var petl = model.Petl;
        var x = g.Op("Conv", [images, g.Weight("patch_embed.proj.weight"), g.Weight("patch_embed.proj.bias")],
            ("kernel_shape", new GraphAttribute.Ints([c.PatchSize, c.PatchSize])), ("strides", new GraphAttribute.Ints([c.PatchSize, c.PatchSize])));
        x = g.LayerNorm(g.Transpose(x, 0, 2, 3, 1), "patch_embed.norm", SwinConfig.Eps);
        int stage = 0;
        for (int i = 0; i < model.Kept.Count; i++)
        {
            int block = model.Kept[i], s = c.StageOf(block);
            for (; stage < s; stage++) x = Merge(g, x, stage, c.StageGrid(stage));
            string b = BlockKey.Of(i);
            int d = c.StageWidth(s), grid = c.StageGrid(s), win = c.Windows[s];
            var full = c.BlockSizesOf(block);
            var kept = full.Keep(model.Widths[i]);
            int heads = kept.Heads, headDim = kept.HeadDim;
            long padded = (grid + win - 1) / win * win;
            var shape = new BlockShape((long)grid * grid, d, kept.Inner, kept.MlpUnits, (long)grid * grid, WindowTokens: padded * padded);
            // the adapter slots get the tokens as [B, H*W, C] with no prefix token, as SwinBlock hands them
            GraphValue Seq(GraphValue t) => g.Reshape(t, -1, (long)grid * grid, d);
            GraphValue Grid(GraphValue t) => g.Reshape(t, -1, grid, grid, d);
            var attn = petl.Method.EmitBranch(g, petl, shape, b + ".adapter_attn",
                t => Seq(Attention(g, petl, b + ".attn", Grid(t), d, heads, headDim, full.HeadDim, win, grid, c.Shifted(block))),
                Seq(g.LayerNorm(x, b + ".norm1", SwinConfig.Eps)), Seq(x));
            var h = g.Add(x, Grid(attn));
            var mlp = petl.Method.EmitBranch(g, petl, shape, b + ".adapter_mlp",
                m => petl.Method.EmitLinear(g, petl, LinearRole.Fc2, b + ".mlp.fc2", g.Gelu(petl.Method.EmitLinear(g, petl, LinearRole.Fc1,
                    b + ".mlp.fc1", m))),
                Seq(g.LayerNorm(h, b + ".norm2", SwinConfig.Eps)), Seq(h));
            x = g.Add(h, Grid(mlp));
        }
        for (; stage < c.Stages - 1; stage++) x = Merge(g, x, stage, c.StageGrid(stage));
        var pooled = g.Op("ReduceMean", [g.LayerNorm(x, "norm", SwinConfig.Eps)], ("axes", new GraphAttribute.Ints([1, 2])), ("keepdims",
            new GraphAttribute.Int(0)));
        return c.NumClasses > 0 ? g.Linear(pooled, "head") : pooled;
    }

    /// <summary>Window attention on [B, grid, grid, d] tokens, <paramref name="heads"/> heads of <paramref name="headDim"/>
    /// dimensions; logits scaled by the full model's 1 / sqrt(head dim), as <see cref="WindowAttention"/>.</summary>
    private static GraphValue Attention(IGraph g, PetlSettings petl, string prefix, GraphValue input, int d, int heads, int headDim, int fullHeadDim,
        int win, int grid, bool shifted)
    {
        int n = win * win;
        long pad = (win - grid % win) % win, p = grid + pad, shift = shifted && win < p ? win / 2 : 0, nw = p / win, windows = nw * nw;
        var x = input;
        if (pad > 0) x = g.Op("Pad", [x, g.Ints(0, 0, 0, 0, 0, pad, pad, 0)]);
        if (shift > 0) x = Roll(g, Roll(g, x, 1, shift, p), 2, shift, p);
        x = g.Reshape(g.Transpose(g.Reshape(x, -1, nw, win, nw, win, d), 0, 1, 3, 2, 4, 5), -1, n, d);

        var qkv = g.Transpose(g.Reshape(petl.Method.EmitLinear(g, petl, LinearRole.Qkv, prefix + ".qkv", x), -1, n, 3, heads, headDim), 2, 0, 3, 1,
            4);
        var q = g.Scale(g.Take(qkv, 0, 0), 1 / Math.Sqrt(fullHeadDim));
        var bias = g.Op("Gather", [g.Weight(prefix + ".relative_position_bias_table"), g.Ints(WindowAttention.RelativePositionIndex(win))], ("axis",
            new GraphAttribute.Int(0)));
        bias = g.Reshape(g.Transpose(g.Reshape(bias, n, n, heads), 2, 0, 1), 1, heads, n, n);
        var attn = g.Add(g.Op("MatMul", [q, g.Transpose(g.Take(qkv, 0, 1), 0, 1, 3, 2)]), bias);
        if (shift > 0)
        {
            var mask = g.Constant(WindowAttention.MaskValues(p, p, shift, shift, win), 1, windows, 1, n, n);
            attn = g.Reshape(g.Add(g.Reshape(attn, -1, windows, heads, n, n), mask), -1, heads, n, n);
        }
        var y = g.Op("MatMul", [g.Op("Softmax", [attn], ("axis", new GraphAttribute.Int(-1))), g.Take(qkv, 0, 2)]);
        y = petl.Method.EmitLinear(g, petl, LinearRole.Proj, prefix + ".proj", g.Reshape(g.Transpose(y, 0, 2, 1, 3), -1, n, (long)heads * headDim));

        y = g.Reshape(g.Transpose(g.Reshape(y, -1, nw, nw, win, win, d), 0, 1, 3, 2, 4, 5), -1, p, p, d);
        if (shift > 0) y = Roll(g, Roll(g, y, 1, p - shift, p), 2, p - shift, p);
        if (pad > 0) y = g.Slice(g.Slice(y, 1, 0, grid), 2, 0, grid);
        return y;
    }

    /// <summary><c>torch.roll(x, -by, axis)</c> on an axis of <paramref name="size"/>: the slice from <paramref name="by"/> first.</summary>
    private static GraphValue Roll(IGraph g, GraphValue x, int axis, long by, long size) =>
        g.Concat(axis, g.Slice(x, axis, by, size), g.Slice(x, axis, 0, by));

    /// <summary>Patch merging after <paramref name="stage"/>: [B, grid, grid, C] to [B, grid/2, grid/2, 2C].</summary>
    private static GraphValue Merge(IGraph g, GraphValue x, int stage, int grid)
    {
        long odd = grid % 2, p = grid + odd;
        if (odd > 0) x = g.Op("Pad", [x, g.Ints(0, 0, 0, 0, 0, odd, odd, 0)]);
        GraphValue Cell(long r, long col) => g.Op("Slice", [x, g.Ints(r, col), g.Ints(p, p), g.Ints(1, 2), g.Ints(2, 2)]);
        var merged = g.Concat(-1, Cell(0, 0), Cell(1, 0), Cell(0, 1), Cell(1, 1));
        return g.Linear(g.LayerNorm(merged, $"merges.{stage}.norm", SwinConfig.Eps), $"merges.{stage}.reduction");
    }
}
