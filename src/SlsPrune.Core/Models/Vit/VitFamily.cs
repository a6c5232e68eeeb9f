using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Models.Petl;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models.Vit;

/// <summary>The classic ViT with a class token (timm's <c>VisionTransformer</c> names; other layouts arrive here
/// through their converters), with the variants' settings read off the tensors: DeiT's distillation token and
/// head, DINOv2's LayerScale and registers, CLIP's <c>norm_pre</c> and bias-free projections, MAE's <c>fc_norm</c>
/// pooling. Width pruning (heads, MLP units, head dims) is this family's.</summary>
public sealed class VitFamily : BackboneFamily<VitConfig>
{
    public override string Name => "vit";

    /// <summary>CLIP's LayerNorm epsilon, the default of a ViT with <c>norm_pre</c> whose layout does not say.</summary>
    public const double ClipLayerNormEps = 1e-5;

    public override bool Recognises(IReadOnlyDictionary<string, long[]> shapes) =>
        shapes.ContainsKey("patch_embed.proj.weight") && shapes.ContainsKey("pos_embed");

    /// <summary>Heads from <c>--heads</c>, else <c>--model</c>'s variant, else the layout's config, else the variants
    /// table; LayerNorm eps and the input mean and std from the layout where it gives them.</summary>
    public override VitConfig Infer(IReadOnlyDictionary<string, long[]> shapes, ArchitectureHints hints, ModelOptions options, string source)
    {
        int? heads = options.Heads;
        VitVariant? named = null;
        if (options.ModelName is not null)
        {
            named = VitVariants.ByName(options.ModelName) ?? throw new SlsInputException("--model",
                $"unknown model '{options.ModelName}' (known: {string.Join(", ", VitVariants.All.Select(x => x.Name))})");
            heads ??= named.Heads;
        }
        // the checkpoint's own record of its heads (a config's num_attention_heads, sls's metadata) is the truth about it:
        // another count builds a different model from the same weights
        if (hints.Heads is int recorded && heads is int asked && asked != recorded)
            throw new SlsInputException(options.Heads is not null ? "--heads" : "--model", $"{asked} heads contradicts {Printable.Escape(source)}, "
                + $"which records {recorded}");
        var vit = WithHints(VitConfigInference.Infer(shapes, heads ?? hints.Heads, source), hints, source);
        // the variant's heads on a checkpoint of another width are a guess from another model (a --heads given decides them; a
        // variant of another patch size has the same heads: --model vit_large_patch16_224 names a ViT-L/14's)
        if (named is not null && options.Heads is null && named.Width != vit.Width)
            throw new SlsInputException("--model", $"{named.Name} has width {named.Width}, but {Printable.Escape(source)} has width {vit.Width}: "
                + $"name a variant of its width, or give its heads with --heads");
        // the table's head count for a width is what every known checkpoint of it has: a --heads that contradicts it builds a wrong model
        if (options.Heads is int given && options.ModelName is null && hints.Heads is null && VitVariants.HeadsForWidth(vit.Width) is int table
            && table != given)
            throw new SlsInputException("--heads", $"{given} contradicts the variants table: ViTs of width {vit.Width} have {table} heads; name "
                + $"the variant with --model if yours really has {given}");
        if (options.Activation is string act) vit = vit with { Activation = ParseActivation(act, "--act") };
        if (options.ImageSize is int size && size != vit.ImageSize)
        {
            InputSpec.CheckImageSize(size, "--image-size");
            if ((long)(size / vit.PatchSize) * (size / vit.PatchSize) > InputSpec.MaxPatches)
                throw new SlsInputException("--image-size", $"{size} cuts into {(long)(size / vit.PatchSize) * (size / vit.PatchSize)} patches of "
                    + $"{vit.PatchSize}, more than {InputSpec.MaxPatches} (a {(int)Math.Sqrt(InputSpec.MaxPatches)}x"
                        + $"{(int)Math.Sqrt(InputSpec.MaxPatches)} grid)");
            if (size % vit.PatchSize != 0)
                throw new SlsInputException("--image-size", $"{size} is not a multiple of the ViT's patch size {vit.PatchSize} (its position "
                    + $"embedding is for {vit.ImageSize})");
            vit = vit with { GridSize = size / vit.PatchSize, StoredGridSize = vit.GridSize };
        }
        return vit;
    }

    private static VitActivation ParseActivation(string act, string source) => act switch
    {
        "gelu" => VitActivation.Gelu,
        "quick_gelu" => VitActivation.QuickGelu,
        _ => throw new SlsInputException(source, $"activation '{Printable.Escape(act)}' is not gelu or quick_gelu"),
    };

    private static VitConfig WithHints(VitConfig c, ArchitectureHints hints, string source)
    {
        // timm's ViTs with norm_pre are its CLIP image towers, whose LayerNorms use eps 1e-5
        double eps = hints.LayerNormEps ?? (c.NormPre ? ClipLayerNormEps : c.LayerNormEps);
        c = c with { LayerNormEps = eps, Mean = hints.Mean ?? c.Mean, Std = hints.Std ?? c.Std };
        if (hints.Activation is string act) c = c with { Activation = ParseActivation(act, source) };
        if (hints.PatchSize is int patch && patch != c.PatchSize)
            throw new SlsInputException(hints.PatchSizeSource ?? source, $"patch_size {patch} contradicts the weights' patch embedding of "
                + $"{c.PatchSize}x{c.PatchSize} pixels");
        if (c.Mean.Count != c.InChannels || c.Std.Count != c.InChannels)
            throw new SlsInputException(source, $"the preprocessor's mean and std have {c.Mean.Count} and {c.Std.Count} values for {c.InChannels} "
                + $"input channels");
        return c;
    }

    public override ModelPlan StoredPlan(IReadOnlyDictionary<string, long[]> shapes, VitConfig full, string source)
    {
        var stored = VitConfigInference.BlockWidths(shapes, full, source)
            .Select((w, i) => (w, i)).Where(p => p.w is not null).ToDictionary(p => p.i, p => p.w!);
        return stored.Count == 0 ? ModelPlan.Full(full.Depth) : new ModelPlan(full.Depth, Enumerable.Range(0, full.Depth).ToArray(), stored);
    }

    public override void Validate(ModelPlan plan, VitConfig full, string source) => plan.Validate(full.Depth, _ => full.BlockSizes, source);

    /// <summary>The plan's blocks; DINOv2's <c>mask_token</c> (training only) dropped; the position embedding
    /// resampled to the input size asked for.</summary>
    public override Dictionary<string, Tensor> Apply(ModelPlan plan, Dictionary<string, Tensor> weights, VitConfig full,
        IReadOnlyDictionary<string, SliceRole>? petlRules)
    {
        var w = plan.Apply(weights, _ => full.BlockSizes, petlRules);
        if (w.Remove("mask_token", out var mask)) mask.Dispose();
        if (full.SourceGridSize != full.GridSize && w.TryGetValue("pos_embed", out var pos))
        {
            w["pos_embed"] = PositionEmbedding.Resample(pos, full.PosPrefixTokens, full.SourceGridSize, full.GridSize);
            pos.Dispose();
        }
        return w;
    }

    public override Backbone Create(VitConfig full, ModelPlan plan, PetlSettings petl) =>
        new VisionTransformer(full with { Depth = plan.Blocks.Count }, petl, Enumerable.Range(0, plan.Blocks.Count).Select(plan.WidthAt).ToArray());

    private static readonly ShapeSetting Depth = ShapeSetting.Number("--depth", 8, "Blocks", 1024);
    private static readonly ShapeSetting Heads = ShapeSetting.Number("--heads", 3, "Attention heads", 4096);
    private static readonly ShapeSetting Mlp = ShapeSetting.Number("--mlp", 384, "MLP hidden width", 1 << 16);

    public override string Title => "ViT";

    public override IReadOnlyList<ShapeSetting> PretrainSettings => [Depth, Heads, Mlp];

    public override VitConfig Untrained(PretrainShape common, ShapeValues values, int classes)
    {
        int heads = values.Number(Heads);
        if (common.Width % heads != 0) throw new SlsInputException("--width", $"{common.Width} is not a multiple of the {heads} heads (--heads)");
        return new(common.PatchSize, common.ImageSize / common.PatchSize, common.Width, values.Number(Depth), heads, values.Number(Mlp), classes);
    }

    /// <summary>The class token and position embedding as timm initialises them (truncated normal, std 0.02).</summary>
    public override void InitialiseUntrained(Backbone model)
    {
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
            if (name is "cls_token" or "pos_embed") nn.init.trunc_normal_(p, std: 0.02);
    }

    public override ArchitectureReport Describe(IReadOnlyDictionary<string, long[]> shapes, ArchitectureHints hints, int? heads, string source)
    {
        // Heads do not change any shape; when unknown the report says so (null) rather than failing.
        int? h = heads ?? hints.Heads ?? VitVariants.HeadsForWidth((int)shapes["patch_embed.proj.weight"][0]);
        var c = WithHints(VitConfigInference.Infer(shapes, h ?? 1, source), hints, source);
        string details = c.VariantDetails();
        return new ArchitectureReport(Name, VitVariants.Match(c)?.Name, c.PatchSize, c.ImageSize, c.GridSize, c.Tokens,
            c.Width, c.Depth, h, c.MlpHidden, c.NumClasses, c.HasPreLogits, c.LayerNormEps, c.Mean, c.Std,
            Details: (details.Length > 0 ? details + ", " : "") + $"feature {c.FeatureKind}")
        { Input = c.InputOrigin };
    }
}
