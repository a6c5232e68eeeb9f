using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Models.Petl;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Swin;

/// <summary>Swin Transformer v1 (torchvision's and timm's layouts arrive here through their converters, with
/// blocks numbered over all stages). A plan keeps any subset of blocks, whole: width pruning is ViT's.</summary>
public sealed class SwinFamily : BackboneFamily<SwinConfig>
{
    public override string Name => "swin";

    public override bool Recognises(IReadOnlyDictionary<string, long[]> shapes) =>
        shapes.ContainsKey("patch_embed.proj.weight") && shapes.ContainsKey("blocks.0.attn.relative_position_bias_table") && !shapes.ContainsKey("pos_embed");

    public override SwinConfig Infer(IReadOnlyDictionary<string, long[]> shapes, ArchitectureHints hints, ModelOptions options, string source)
    {
        SwinVariant? named = null;
        if (options.ModelName is not null)
            named = SwinVariants.ByName(options.ModelName) ?? throw new SlsInputException("--model", $"unknown Swin model '{options.ModelName}' (known: {string.Join(", ", SwinVariants.All.Select(v => v.Name))})");
        var c = SwinConfigInference.Infer(shapes, options.ImageSize ?? named?.ImageSize, source);
        if (named is not null && (named.EmbedWidth != c.EmbedWidth || !named.Depths.SequenceEqual(c.Depths)))
            throw new SlsInputException(source, $"is not {named.Name}: width {c.EmbedWidth}, depths [{string.Join(", ", c.Depths)}]");
        c = c with { Mean = hints.Mean ?? c.Mean, Std = hints.Std ?? c.Std };
        return options.ImageSize is null && named is null && SwinVariants.Match(c) is { } v ? c with { ImageSize = v.ImageSize } : c;
    }

    public override ModelPlan StoredPlan(IReadOnlyDictionary<string, long[]> shapes, SwinConfig full, string source) => ModelPlan.Full(full.Depth);

    public override void Validate(ModelPlan plan, SwinConfig full, string source)
    {
        if (plan.Depth != full.Depth) throw new SlsInputException(source, $"kept blocks are for a {plan.Depth}-block model but the backbone has {full.Depth} blocks");
        var b = plan.Blocks;
        if (b.Count == 0 || b.Any(i => i < 0 || i >= full.Depth) || b.Zip(b.Skip(1)).Any(p => p.First >= p.Second))
            throw new SlsInputException(source, $"kept blocks must be distinct, ascending and within 1..{full.Depth}");
        if (plan.Widths is { Count: > 0 })
            throw new SlsInputException(source, "gives block widths (heads, MLP units): width pruning is for ViT backbones; a Swin backbone keeps or drops whole blocks");
    }

    /// <summary>The kept blocks' weights renumbered 0..k-1; the others disposed; the rest passes through.</summary>
    public override Dictionary<string, Tensor> Apply(ModelPlan plan, Dictionary<string, Tensor> weights, SwinConfig full, IReadOnlyDictionary<string, SliceRole>? petlRules)
    {
        var position = plan.Blocks.Select((b, i) => (b, i)).ToDictionary(p => p.b, p => p.i);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in weights)
        {
            if (BlockKey.Parse(name) is not (int block, string rest)) result[name] = t;
            else if (position.TryGetValue(block, out int pos)) result[BlockKey.Name(pos, rest)] = t;
            else t.Dispose();
        }
        return result;
    }

    /// <summary>Window attention pads a stage's grid with zero tokens before qkv: a merge that gives zero tokens
    /// a new qkv output (RepAdapter's) is exact only where no kept block's grid is padded.</summary>
    public override string? MergeLimit(SwinConfig full, ModelPlan plan, PetlMethod method)
    {
        if (method.MergeKeepsZeroTokens) return null;
        var padded = plan.Blocks.Select(full.StageOf).Distinct().Where(s => full.StageGrid(s) % full.Windows[s] != 0).ToList();
        return padded.Count == 0 ? null
            : $"{method.Name} does not merge exactly into this Swin: stage {padded[0] + 1}'s {full.StageGrid(padded[0])}x{full.StageGrid(padded[0])} grid is padded to a multiple of its window {full.Windows[padded[0]]} before qkv, and the merged qkv would move the padding tokens (run it unmerged, or at an input size whose grids are multiples of the windows)";
    }

    public override Backbone Create(SwinConfig full, ModelPlan plan, PetlSettings petl) => new SwinTransformer(full, plan.Blocks, petl);

    public override ArchitectureReport Describe(IReadOnlyDictionary<string, long[]> shapes, ArchitectureHints hints, int? heads, string source)
    {
        var c = Infer(shapes, hints, new ModelOptions(source), source);
        int grid = c.StageGrid(0);
        string stages = $"depths {string.Join("-", c.Depths)}, heads {string.Join("-", c.Heads)}, windows {string.Join("-", c.Windows)}, widths {string.Join("-", Enumerable.Range(0, c.Stages).Select(c.StageWidth))}";
        return new ArchitectureReport(Name, SwinVariants.Match(c)?.Name, c.PatchSize, c.ImageSize, grid, grid * grid,
            c.FinalWidth, c.Depth, c.Heads[0], c.EmbedWidth * c.MlpRatio, c.NumClasses, false, SwinConfig.Eps, c.Mean, c.Std, stages);
    }
}
