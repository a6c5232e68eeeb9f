using SlsPrune.Core.Checkpoints;

namespace SlsPrune.Core.Models.Vit;

/// <summary>Reads a <see cref="VitConfig"/> off the tensor shapes of a timm-named state dict: patch size and
/// width from <c>patch_embed.proj.weight</c>, the token grid from <c>pos_embed</c>, depth from the blocks,
/// MLP width from <c>fc1</c>, classes from <c>head</c>. Heads come from the caller, else the variants table.</summary>
public static class VitConfigInference
{
    /// <param name="source">the file named in errors.</param>
    public static VitConfig Infer(IReadOnlyDictionary<string, long[]> shapes, int? heads, string source)
    {
        long[] Need(string key, int rank)
        {
            if (!shapes.TryGetValue(key, out var s))
                throw new SlsInputException(source, $"missing tensor '{key}': not a ViT backbone with timm names");
            if (s.Length != rank)
                throw new SlsInputException(source, $"tensor '{key}' has shape [{string.Join(", ", s)}], expected rank {rank}");
            return s;
        }

        var proj = Need("patch_embed.proj.weight", 4);
        if (proj[2] != proj[3]) throw new SlsInputException(source, $"patch_embed.proj.weight has non-square patches {proj[2]}x{proj[3]}");
        int width = (int)proj[0], patch = (int)proj[2], channels = (int)proj[1];
        var pos = Need("pos_embed", 3);
        if (pos[2] != width) throw new SlsInputException(source, $"pos_embed width {pos[2]} differs from the patch embedding width {width}");
        Need("cls_token", 3);
        bool dist = shapes.ContainsKey("dist_token");
        if (dist && !Need("dist_token", 3).SequenceEqual(new long[] { 1, 1, width }))
            throw new SlsInputException(source, $"dist_token has shape [{string.Join(", ", shapes["dist_token"])}], expected [1, 1, {width}]");
        int registers = 0;
        if (shapes.ContainsKey("reg_token"))
        {
            var reg = Need("reg_token", 3);
            if (reg[0] != 1 || reg[2] != width) throw new SlsInputException(source, $"reg_token has shape [{string.Join(", ", reg)}], expected [1, "
                + $"registers, {width}]");
            registers = (int)reg[1];
        }
        int prefix = 1 + (dist ? 1 : 0) + registers;
        // which prefix tokens carry a position: all (classic), the class token only (Hugging Face's registers) or none (timm's no_embed_class)
        int posPrefix = -1, grid = 0;
        // registers come without a position (timm's DINOv2 and Hugging Face's), so a small grid is read that way first
        foreach (int candidate in (registers > 0 ? new[] { 0, 1, prefix } : new[] { prefix, 1, 0 }).Distinct())
        {
            long patches = pos[1] - candidate;
            int g = (int)Math.Round(Math.Sqrt(Math.Max(patches, 0)));
            if (patches > 0 && (long)g * g == patches) { posPrefix = candidate; grid = g; break; }
        }
        if (posPrefix < 0)
            throw new SlsInputException(source, prefix == 1 ? $"pos_embed has {pos[1]} tokens; expected a class token plus a square grid"
                : $"pos_embed has {pos[1]} tokens; expected a square grid, after the {prefix} prefix tokens, the class token or none");

        int depth = BlockKey.CountBlocks(shapes.Keys);
        for (int i = 0; i < depth; i++) Need(BlockKey.Name(i, "attn.qkv.weight"), 2);
        int mlp = depth > 0 ? Enumerable.Range(0, depth).Max(i => (int)Need(BlockKey.Name(i, "mlp.fc1.weight"), 2)[0]) : 4 * width;

        int classes = shapes.TryGetValue("head.weight", out var head) ? (int)head[0] : 0;
        bool preLogits = shapes.ContainsKey("pre_logits.fc.weight");

        int h = heads ?? VitVariants.HeadsForWidth(width)
            ?? throw new SlsInputException(source, $"width {width} is not in the variants table; give the head count with --heads N");
        if (width % h != 0) throw new SlsInputException(source, $"width {width} is not divisible by {h} heads");
        bool avg = shapes.ContainsKey("fc_norm.weight");
        return new VitConfig(patch, grid, width, depth, h, mlp, classes, preLogits, channels)
        {
            DistToken = dist,
            DistilledHead = dist && shapes.ContainsKey("head_dist.weight"),
            Registers = registers,
            PosPrefixTokens = posPrefix,
            LayerScale = depth > 0 && shapes.ContainsKey("blocks.0.ls1.gamma"),
            NormPre = shapes.ContainsKey("norm_pre.weight"),
            PatchBias = shapes.ContainsKey("patch_embed.proj.bias"),
            HeadBias = classes == 0 || shapes.ContainsKey("head.bias"),
            Pool = avg ? VitPool.Avg : VitPool.Token,
            FinalNorm = shapes.ContainsKey("norm.weight") || !avg,
        };
    }

    /// <summary>Per block, the width a width-pruned checkpoint stores (null: full width): the leading heads that
    /// qkv's rows hold and the leading MLP units of fc1. Each block is read on its own, so a checkpoint written
    /// with narrower blocks loads as it was saved.</summary>
    public static IReadOnlyList<BlockWidth?> BlockWidths(IReadOnlyDictionary<string, long[]> shapes, VitConfig full, string source)
    {
        int headDim = full.Width / full.Heads;
        var widths = new BlockWidth?[full.Depth];
        for (int i = 0; i < full.Depth; i++)
        {
            long inner = shapes[BlockKey.Name(i, "attn.qkv.weight")][0] / 3, units = shapes[BlockKey.Name(i, "mlp.fc1.weight")][0];
            if (inner == full.Width && units == full.MlpHidden) continue;
            if (inner % headDim != 0 || inner == 0)
                throw new SlsInputException(source, $"block {i + 1}'s qkv has {3 * inner} rows: not whole heads of {headDim} dimensions");
            widths[i] = new BlockWidth(Enumerable.Range(0, (int)(inner / headDim)).ToArray(), Enumerable.Range(0, (int)units).ToArray());
        }
        return widths;
    }
}
