namespace SlsPrune.Core.Models.Swin;

/// <summary>Reads a <see cref="SwinConfig"/> off the internal-named tensors: patch and embed width from
/// <c>patch_embed.proj.weight</c>, each block's stage from its width (embed x 2^stage), its heads and window from
/// its relative position bias table ((2w-1)^2 rows, one column per head), the MLP ratio from <c>fc1</c>, the
/// stages from the patch mergings, classes from <c>head</c>. The input size is not in the tensors: the caller's,
/// else the named variant's, else 224.</summary>
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
            var qkv = Need($"blocks.{i}.attn.qkv.weight", 2);
            long width = qkv[1];
            int stage = 0;
            while ((long)embed << stage < width) stage++;
            if ((long)embed << stage != width || qkv[0] != 3 * width)
                throw new SlsInputException(source, $"block {i + 1}'s qkv is [{qkv[0]}, {qkv[1]}]: not a Swin stage of width {embed} x 2^s");
            var table = Need($"blocks.{i}.attn.relative_position_bias_table", 2);
            int side = (int)Math.Round(Math.Sqrt(table[0]));
            if ((long)side * side != table[0] || side % 2 == 0 || width % table[1] != 0)
                throw new SlsInputException(source, $"block {i + 1}'s relative position bias table is [{table[0]}, {table[1]}]: expected (2w-1)^2 rows and a head count dividing {width}");
            int window = (side + 1) / 2, h = (int)table[1];
            var fc1 = Need($"blocks.{i}.mlp.fc1.weight", 2);
            if (fc1[0] % width != 0) throw new SlsInputException(source, $"block {i + 1}'s MLP has {fc1[0]} units: not a multiple of its width {width}");
            int r = (int)(fc1[0] / width);
            if (ratio != 0 && r != ratio) throw new SlsInputException(source, $"block {i + 1}'s MLP ratio {r} differs from block 1's {ratio}");
            ratio = r;

            if (stage == depths.Count)
            {
                depths.Add(0);
                heads.Add(h);
                windows.Add(window);
            }
            else if (stage != depths.Count - 1)
                throw new SlsInputException(source, $"block {i + 1} has width {width}: stages must follow one another (embed width doubling every stage)");
            else if (heads[stage] != h || windows[stage] != window)
                throw new SlsInputException(source, $"block {i + 1}'s heads or window ({h}, {window}) differ from its stage's ({heads[stage]}, {windows[stage]})");
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
            if (head.Length != 2 || head[1] != final) throw new SlsInputException(source, $"head.weight is [{string.Join(", ", head)}], expected [classes, {final}]");
            classes = (int)head[0];
        }
        int image = imageSize ?? DefaultImageSize;
        if (image < patch) throw new SlsInputException(source, $"input size {image} is smaller than the patch {patch}");
        return new SwinConfig(patch, image, embed, depths, heads, windows, ratio, classes, channels);
    }
}
