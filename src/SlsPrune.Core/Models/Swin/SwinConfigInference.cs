using SlsPrune.Core.Checkpoints;

namespace SlsPrune.Core.Models.Swin;

/// <summary>Reads a <see cref="SwinConfig"/> off the internal-named tensors: patch and embed width from
/// <c>patch_embed.proj.weight</c>, each block's stage from its width (qkv's inputs: embed x 2^stage), its window
/// from its relative position bias table ((2w-1)^2 rows, one column per head kept), its head dim from qkv's rows
/// over the table's columns and so its stage's full head count (the width over the head dim), the MLP ratio from
/// <c>fc1</c> (the widest block's, rounded up), the stages from the patch mergings, classes from <c>head</c>. A
/// width-pruned checkpoint (narrower blocks saved as such) reads as its full shape plus <see cref="BlockWidths"/>.
/// The input size is not in the tensors: the caller's, else the named variant's, else 224.</summary>
public static class SwinConfigInference
{
    public const int DefaultImageSize = 224;

    /// <param name="source">the file named in errors.</param>
    public static SwinConfig Infer(IReadOnlyDictionary<string, long[]> shapes, int? imageSize, string source)
    {
        long[] Need(string key, int rank)
        {
            if (!shapes.TryGetValue(key, out var s))
                throw new SlsInputException(source, $"missing tensor '{key}': not a Swin backbone");
            if (s.Length != rank)
                throw new SlsInputException(source, $"tensor '{key}' has shape [{string.Join(", ", s)}], expected rank {rank}");
            return s;
        }

        var proj = Need("patch_embed.proj.weight", 4);
        if (proj[2] != proj[3]) throw new SlsInputException(source, $"patch_embed.proj.weight has non-square patches {proj[2]}x{proj[3]}");
        int embed = (int)proj[0], patch = (int)proj[2], channels = (int)proj[1];
        Need("patch_embed.norm.weight", 1);

        int depth = BlockKey.CountBlocks(shapes.Keys);
        if (depth == 0) throw new SlsInputException(source, "a Swin backbone without blocks");
        var depths = new List<int>();
        var heads = new List<int>();
        var windows = new List<int>();
        int ratio = 0;
        for (int i = 0; i < depth; i++)
        {
            var qkv = Need(BlockKey.Name(i, "attn.qkv.weight"), 2);
            long width = qkv[1], inner = qkv[0] / 3;
            int stage = 0;
            while ((long)embed << stage < width) stage++;
            if ((long)embed << stage != width || qkv[0] % 3 != 0 || inner == 0 || inner > width)
                throw new SlsInputException(source, $"block {i + 1}'s qkv is [{qkv[0]}, {qkv[1]}]: not a Swin stage of width {embed} x 2^s");
            var table = Need(BlockKey.Name(i, "attn.relative_position_bias_table"), 2);
            int side = (int)Math.Round(Math.Sqrt(table[0]));
            if ((long)side * side != table[0] || side % 2 == 0 || table[1] == 0 || inner % table[1] != 0 || width % (inner / table[1]) != 0)
                throw new SlsInputException(source, $"block {i + 1}'s relative position bias table is [{table[0]}, {table[1]}]: expected (2w-1)^2 "
                    + $"rows and one column per head of qkv's {inner} channels, of a head dim dividing {width}");
            // a width-pruned block keeps whole heads of the full head dim: the table's columns are its heads kept
            int window = (side + 1) / 2, h = (int)(width / (inner / table[1]));
            var fc1 = Need(BlockKey.Name(i, "mlp.fc1.weight"), 2);
            if (fc1[0] == 0) throw new SlsInputException(source, $"block {i + 1}'s MLP has no units");
            ratio = Math.Max(ratio, (int)((fc1[0] + width - 1) / width));

            if (stage == depths.Count)
            {
                depths.Add(0);
                heads.Add(h);
                windows.Add(window);
            }
            else if (stage != depths.Count - 1)
                throw new SlsInputException(source, $"block {i + 1} has width {width}: stages must follow one another (embed width doubling every "
                    + $"stage)");
            else if (heads[stage] != h || windows[stage] != window)
                throw new SlsInputException(source, $"block {i + 1}'s heads or window ({h}, {window}) differ from its stage's ({heads[stage]}, "
                    + $"{windows[stage]})");
            depths[stage]++;
        }
        for (int s = 0; s + 1 < depths.Count; s++)
        {
            var reduction = Need($"merges.{s}.reduction.weight", 2);
            long w = (long)embed << s;
            if (reduction[0] != 2 * w || reduction[1] != 4 * w)
                throw new SlsInputException(source, $"merges.{s}.reduction.weight is [{reduction[0]}, {reduction[1]}], expected [{2 * w}, {4 * w}]");
        }
        if (shapes.Keys.Any(k => k.StartsWith($"merges.{depths.Count - 1}.", StringComparison.Ordinal)))
            throw new SlsInputException(source, $"a patch merging after the last stage ({depths.Count}): blocks of a later stage are missing");
        var norm = Need("norm.weight", 1);
        long final = (long)embed << (depths.Count - 1);
        if (norm[0] != final) throw new SlsInputException(source, $"the final norm has {norm[0]} channels, the last stage {final}");
        int classes = 0;
        if (shapes.TryGetValue("head.weight", out var head))
        {
            if (head.Length != 2 || head[1] != final) throw new SlsInputException(source, $"head.weight is [{string.Join(", ", head)}], expected "
                + $"[classes, {final}]");
            classes = (int)head[0];
        }
        int image = imageSize ?? DefaultImageSize;
        if (image < patch) throw new SlsInputException(source, $"input size {image} is smaller than the patch {patch}");
        return new SwinConfig(patch, image, embed, depths, heads, windows, ratio, classes, channels);
    }

    /// <summary>Per block, the width a width-pruned checkpoint stores (null: full width): the leading heads that
    /// qkv's rows and the bias table's columns hold and the leading MLP units of fc1, against
    /// <paramref name="full"/> as <see cref="Infer"/> read it. Each block is read on its own, so a checkpoint
    /// written with narrower blocks loads as it was saved.</summary>
    public static IReadOnlyList<BlockWidth?> BlockWidths(IReadOnlyDictionary<string, long[]> shapes, SwinConfig full)
    {
        var widths = new BlockWidth?[full.Depth];
        for (int i = 0; i < full.Depth; i++)
        {
            var sizes = full.BlockSizesOf(i);
            long heads = shapes[BlockKey.Name(i, "attn.relative_position_bias_table")][1], units = shapes[BlockKey.Name(i, "mlp.fc1.weight")][0];
            if (heads == sizes.Heads && units == sizes.MlpHidden) continue;
            widths[i] = new BlockWidth(Enumerable.Range(0, (int)heads).ToArray(), Enumerable.Range(0, (int)units).ToArray());
        }
        return widths;
    }
}
