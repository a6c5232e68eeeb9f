using System.Text.RegularExpressions;

namespace SlsPrune.Core.Models.Vit;

/// <summary>Reads a <see cref="VitConfig"/> off the tensor shapes of a timm-named state dict: patch size and
/// width from <c>patch_embed.proj.weight</c>, the token grid from <c>pos_embed</c>, depth from the blocks,
/// MLP width from <c>fc1</c>, classes from <c>head</c>. Heads come from the caller, else the variants table.</summary>
public static partial class VitConfigInference
{
    [GeneratedRegex(@"^blocks\.(\d+)\.")]
    private static partial Regex BlockIndex();

    /// <summary>Number of transformer blocks: one past the highest <c>blocks.{i}</c> index.</summary>
    public static int CountBlocks(IEnumerable<string> names)
    {
        int depth = 0;
        foreach (var k in names)
        {
            var m = BlockIndex().Match(k);
            if (m.Success) depth = Math.Max(depth, int.TryParse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture, out int b) && b < int.MaxValue ? b + 1 : int.MaxValue);
        }
        return depth;
    }

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
        long patches = pos[1] - 1;
        int grid = (int)Math.Round(Math.Sqrt(patches));
        if (patches <= 0 || (long)grid * grid != patches)
            throw new SlsInputException(source, $"pos_embed has {pos[1]} tokens; expected a class token plus a square grid");
        Need("cls_token", 3);

        int depth = CountBlocks(shapes.Keys);
        for (int i = 0; i < depth; i++) Need($"blocks.{i}.attn.qkv.weight", 2);
        int mlp = depth > 0 ? (int)Need("blocks.0.mlp.fc1.weight", 2)[0] : 4 * width;

        int classes = shapes.TryGetValue("head.weight", out var head) ? (int)head[0] : 0;
        bool preLogits = shapes.ContainsKey("pre_logits.fc.weight");

        int h = heads ?? VitVariants.HeadsForWidth(width)
            ?? throw new SlsInputException(source, $"width {width} is not in the variants table; give the head count with --heads N");
        if (width % h != 0) throw new SlsInputException(source, $"width {width} is not divisible by {h} heads");
        return new VitConfig(patch, grid, width, depth, h, mlp, classes, preLogits, channels);
    }
}
