using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Models.Vit;
using SlsPrune.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models;

/// <summary>What the user gives to build a model: files and the settings shapes cannot reveal.</summary>
public sealed record ModelOptions(
    string Backbone,
    string? Petl = null,
    int? Heads = null,
    string? ModelName = null,
    PetlMethod? PetlMethod = null,
    int? PetlDim = null,
    double? PetlScale = null,
    bool MergeRepAdapter = false,
    Precision Precision = Precision.Fp32);

/// <summary>A built model and what it was built from.</summary>
public sealed record LoadedModel(VisionTransformer Model, VitConfig Config, PetlSettings Petl, bool Merged);

/// <summary>
/// Builds a PETL ViT from a backbone checkpoint (any format) and a PETL checkpoint (adapters + head):
/// the architecture from the backbone's shapes, the PETL head replacing the backbone's, strict loading,
/// built on the CPU and moved to the device (and cast to the precision) last. A <paramref name="plan"/> builds a
/// pruned model: the kept blocks only (the others' weights are never read), each at its kept width. Both files
/// name blocks by their place in the full backbone.
/// </summary>
public static class PetlModelLoader
{
    /// <param name="planSource">the file the plan came from, named when it does not fit the backbone.</param>
    public static LoadedModel Load(ModelOptions options, Device? device = null, ModelPlan? plan = null, string? planSource = null)
    {
        using var backbone = CheckpointFile.Open(options.Backbone);
        using var petlFile = options.Petl is null ? null : CheckpointFile.Open(options.Petl);

        int? heads = options.Heads;
        if (options.ModelName is not null)
        {
            var v = VitVariants.ByName(options.ModelName) ?? throw new SlsInputException("--model", $"unknown model '{options.ModelName}' (known: {string.Join(", ", VitVariants.All.Select(x => x.Name))})");
            heads ??= v.Heads;
        }

        var config = VitConfigInference.Infer(StateDictReader.TimmShapes(backbone), heads, options.Backbone);
        plan ??= ModelPlan.Full(config.Depth);
        plan.Validate(config, planSource ?? options.Backbone);
        int d = plan.Blocks.Count;

        // Pruned blocks are never read (npz arrays are converted whole, then dropped).
        var weights = StateDictReader.ReadTimm(backbone, plan.Keeps);
        var petl = PetlSettings.None;
        if (petlFile is not null)
        {
            var petlShapes = StateDictReader.TimmShapes(petlFile);
            petl = PetlDetector.Resolve(petlShapes, petlFile.Metadata, options.Petl!, options.PetlMethod, options.PetlDim, options.PetlScale);
            if (!petlShapes.TryGetValue("head.weight", out var head))
                throw new SlsInputException(options.Petl!, "PETL file has no 'head.weight'");
            foreach (var k in weights.Keys.Where(k => k.StartsWith("head.", StringComparison.Ordinal)).ToList()) weights.Remove(k);
            foreach (var (k, v) in StateDictReader.ReadTimm(petlFile, plan.Keeps)) weights[k] = v;
            config = config with { NumClasses = (int)head[0] };
        }
        weights = plan.Apply(weights, config);
        var built = config with { Depth = d };
        var widths = Enumerable.Range(0, d).Select(plan.WidthAt).ToArray();

        bool merge = options.MergeRepAdapter && petl.Method == PetlMethod.RepAdapter;
        if (merge) weights = RepAdapterMerge.Merge(weights, petl, d);
        var model = new VisionTransformer(built, merge ? PetlSettings.None : petl, widths);
        StateDictLoader.Load(model, weights, options.Petl ?? options.Backbone);
        foreach (var w in weights.Values) w.Dispose();
        model.eval();
        if (device is not null && device.type != DeviceType.CPU) model.to(device);
        if (options.Precision != Precision.Fp32) model.to(options.Precision.ScalarType());
        return new LoadedModel(model, built, petl, merge);
    }
}
