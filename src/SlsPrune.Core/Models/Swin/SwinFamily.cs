using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Models.Petl;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Swin;

/// <summary>Swin Transformer v1 (torchvision's and timm's layouts arrive here through their converters, with
/// blocks numbered over all stages). A plan keeps any subset of blocks and may narrow each kept block to some of
/// its stage's heads (their qkv rows, proj columns and relative position bias columns) and MLP units.</summary>
public sealed class SwinFamily : BackboneFamily<SwinConfig>
{
    public override string Name => "swin";

    public override bool Recognises(IReadOnlyDictionary<string, long[]> shapes) =>
        shapes.ContainsKey("patch_embed.proj.weight") && shapes.ContainsKey("blocks.0.attn.relative_position_bias_table")
            && !shapes.ContainsKey("pos_embed");

    public override SwinConfig Infer(IReadOnlyDictionary<string, long[]> shapes, ArchitectureHints hints, ModelOptions options, string source)
    {
        SwinVariant? named = null;
        if (options.ModelName is not null)
            named = SwinVariants.ByName(options.ModelName) ?? throw new SlsInputException("--model",
                $"unknown Swin model '{options.ModelName}' (known: {string.Join(", ", SwinVariants.All.Select(v => v.Name))})");
        if (options.ImageSize is int size) InputSpec.CheckImageSize(size, "--image-size");
        if (hints.ImageSize is int recorded) InputSpec.CheckImageSize(recorded, source);
        var c = SwinConfigInference.Infer(shapes, options.ImageSize ?? hints.ImageSize ?? named?.ImageSize, source);
        if (named is not null && (named.EmbedWidth != c.EmbedWidth || !named.Depths.SequenceEqual(c.Depths)))
            throw new SlsInputException(source, $"is not {named.Name}: width {c.EmbedWidth}, depths [{string.Join(", ", c.Depths)}]");
        // a Swin's heads are read from its relative-position tables, stage by stage: another count would be ignored
        if (options.Heads is int heads && heads != c.Heads[0])
            throw new SlsInputException("--heads", $"{heads} contradicts {Printable.Escape(source)}, whose position tables give its first stage "
                + $"{c.Heads[0]} heads (stages: {string.Join(", ", c.Heads)}); leave --heads out for a Swin");
        c = c with { Mean = hints.Mean ?? c.Mean, Std = hints.Std ?? c.Std };
        return WithOrigin(c, hints, options, named);
    }

    /// <summary>The input size, which the tensors never show: <c>--image-size</c>, else the size the file's metadata
    /// records (<c>sls pretrain</c>, <c>sls export</c>), else assumed: the named (<c>--model</c>) or matching variant's, else 224.</summary>
    private static SwinConfig WithOrigin(SwinConfig c, ArchitectureHints hints, ModelOptions options, SwinVariant? named)
    {
        if (options.ImageSize is int given) return c with { Origin = new(given, InputSizeOrigin.Option, "--image-size") };
        if (hints.ImageSize is int recorded) return c with { Origin = new(recorded, InputSizeOrigin.Checkpoint, hints.ImageSizeSource) };
        var variant = named ?? SwinVariants.Match(c);
        int size = variant?.ImageSize ?? SwinConfigInference.DefaultImageSize;
        string basis = variant is null ? "the default, as no Swin variant has this shape"
            : $"the {variant.Name} variant's{(named is null ? "" : ", --model")}";
        return c with
        {
            ImageSize = size,
            Origin = new(size, InputSizeOrigin.Assumed, basis)
            {
                Unrecorded = hints.ImageSizeUnrecorded
            ?? "the input size is not recorded in this Swin checkpoint"
            }
        };
    }

    public override ModelPlan StoredPlan(IReadOnlyDictionary<string, long[]> shapes, SwinConfig full, string source)
    {
        var stored = SwinConfigInference.BlockWidths(shapes, full)
            .Select((w, i) => (w, i)).Where(p => p.w is not null).ToDictionary(p => p.i, p => p.w!);
        return stored.Count == 0 ? ModelPlan.Full(full.Depth) : new ModelPlan(full.Depth, Enumerable.Range(0, full.Depth).ToArray(), stored);
    }

    /// <summary>Kept blocks as for any family; a block's heads and units within its own stage's.</summary>
    public override void Validate(ModelPlan plan, SwinConfig full, string source) => plan.Validate(full.Depth, full.BlockSizesOf, source);

    /// <summary>A kept head's column of the bias table goes with its qkv rows and proj columns.</summary>
    private static readonly Dictionary<string, SliceRole> TableRule = new(StringComparer.Ordinal)
    {
        ["attn.relative_position_bias_table"] = SliceRole.HeadColumns,
    };

    /// <summary>The kept blocks' weights renumbered 0..k-1 and cut to their widths; the others disposed; the rest passes through.</summary>
    public override Dictionary<string, Tensor> Apply(ModelPlan plan, Dictionary<string, Tensor> weights, SwinConfig full,
        IReadOnlyDictionary<string, SliceRole>? petlRules) => plan.Apply(weights, full.BlockSizesOf, petlRules, TableRule);

    /// <summary>Window attention pads a stage's grid with zero tokens before qkv: a merge that gives zero tokens
    /// a new qkv output (RepAdapter's) is exact only where no kept block's grid is padded.</summary>
    public override string? MergeLimit(SwinConfig full, ModelPlan plan, PetlMethod method)
    {
        if (method.MergeKeepsZeroTokens) return null;
        var padded = plan.Blocks.Select(full.StageOf).Distinct().Where(s => full.StageGrid(s) % full.Windows[s] != 0).ToList();
        return padded.Count == 0 ? null
            : $"{method.Name} does not merge exactly into this Swin: stage {padded[0] + 1}'s {full.StageGrid(padded[0])}x"
                + $"{full.StageGrid(padded[0])} grid is padded to a multiple of its window {full.Windows[padded[0]]} before qkv, and the merged "
                    + $"qkv would move the padding tokens (run it unmerged, or at an input size whose grids are multiples of the windows)";
    }

    public override Backbone Create(SwinConfig full, ModelPlan plan, PetlSettings petl) =>
        new SwinTransformer(full, plan.Blocks, petl, Enumerable.Range(0, plan.Blocks.Count).Select(plan.WidthAt).ToArray());

    private static readonly ShapeSetting Depths = ShapeSetting.List("--depths", [2, 2, 2], "Swin: blocks per stage, comma-separated", 1024);
    private static readonly ShapeSetting StageHeads = ShapeSetting.List("--stage-heads", null,
        "Swin: heads per stage, comma-separated (default 2,4,8,...)", 4096);
    private static readonly ShapeSetting Window = ShapeSetting.Number("--window", 4, "Swin: window size (every stage)", 256);
    private static readonly ShapeSetting MlpRatio = ShapeSetting.Number("--mlp-ratio", 4, "Swin: MLP hidden width over the stage width", 64);

    public override IReadOnlyList<ShapeSetting> PretrainSettings => [Depths, StageHeads, Window, MlpRatio];

    /// <summary>A Swin v1 of <c>--depths</c> blocks and <c>--stage-heads</c> heads per stage (2, 4, 8, ... unless
    /// given), one window for all stages, stage widths the common width doubling per stage.</summary>
    public override SwinConfig Untrained(PretrainShape common, ShapeValues values, int classes)
    {
        var depths = values.List(Depths)!;
        var heads = values.List(StageHeads) ?? depths.Select((_, s) => 2 << s).ToArray();
        if (heads.Count != depths.Count) throw new SlsInputException("--stage-heads", $"{heads.Count} values for {depths.Count} stages (--depths)");
        var config = new SwinConfig(common.PatchSize, common.ImageSize, common.Width, depths, heads, Enumerable.Repeat(values.Number(Window),
            depths.Count).ToArray(), values.Number(MlpRatio), classes);
        for (int s = 0; s < config.Stages; s++)
            if (config.StageWidth(s) % heads[s] != 0) throw new SlsInputException("--stage-heads",
                $"stage {s + 1}'s width {config.StageWidth(s)} is not a multiple of its {heads[s]} heads");
        try { config.Validate(); }
        catch (ArgumentException e) { throw new SlsInputException("--family swin", e.Message); }
        return config;
    }

    /// <summary>The relative position bias tables as timm initialises them (truncated normal, std 0.02).</summary>
    public override void InitialiseUntrained(Backbone model)
    {
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
            if (name.EndsWith(".relative_position_bias_table", StringComparison.Ordinal)) nn.init.trunc_normal_(p, std: 0.02);
    }

    public override ArchitectureReport Describe(IReadOnlyDictionary<string, long[]> shapes, ArchitectureHints hints, int? heads, string source)
    {
        var c = Infer(shapes, hints, new ModelOptions(source), source);
        int grid = c.StageGrid(0);
        string stages = $"depths {string.Join("-", c.Depths)}, heads {string.Join("-", c.Heads)}, windows {string.Join("-", c.Windows)}, widths "
            + $"{string.Join("-", Enumerable.Range(0, c.Stages).Select(c.StageWidth))}";
        return new ArchitectureReport(Name, SwinVariants.Match(c)?.Name, c.PatchSize, c.ImageSize, grid, grid * grid,
            c.FinalWidth, c.Depth, c.Heads[0], c.EmbedWidth * c.MlpRatio, c.NumClasses, false, SwinConfig.Eps, c.Mean, c.Std, stages)
        { Input = c.InputOrigin };
    }
}
