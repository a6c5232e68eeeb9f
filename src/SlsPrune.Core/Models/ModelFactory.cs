using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Models;

/// <summary>A model to train: fresh PETL modules of <see cref="Petl"/> and a fresh head of <see cref="Classes"/>
/// classes, as the reference code initialises them, or the PETL weights of the file <see cref="InitFrom"/> or of
/// <see cref="InitTensors"/> (named by block as in the full backbone; not consumed).</summary>
public sealed record TrainableRequest(PetlSettings Petl, int Classes, string? InitFrom = null, IReadOnlyDictionary<string, Tensor>? InitTensors =
    null);

/// <summary>
/// The one place a model is built from files: the backbone through its converter, the architecture inferred once
/// from the converted shapes (per-block widths read per block), the PETL file's modules and head (or fresh ones
/// to train), a plan of kept blocks and widths (the others' weights are never read), strict loading on the CPU,
/// the fingerprint check, then the move to the device and the cast to the precision. Both files name blocks by
/// their place in the full backbone.
/// </summary>
public static class ModelFactory
{
    /// <param name="plan">the blocks and widths to build (null: the whole backbone as stored).</param>
    /// <param name="planSource">the file the plan came from, named when it does not fit the backbone.</param>
    /// <param name="check">the files the plan (or another result) was computed for.</param>
    public static BuiltModel Build(ModelOptions options, Device? device = null, ModelPlan? plan = null, string? planSource = null,
        FingerprintCheck? check = null)
    {
        using var backbone = StateDictFile.Open(options.Backbone);
        var petlSource = options.Petl is null ? null : CheckpointSource.ResolvePetl(options.Petl);
        using var peft = petlSource is { IsPeftAdapter: true } ? PeftAdapter.Open(petlSource) : null;
        using var petlFile = options.Petl is null || peft is not null ? null : StateDictFile.Open(options.Petl);
        var (family, full, planned) = Plan(options, backbone, plan, planSource);
        // a PETL file written for a pruned model (aglp's retrained adapters, a retrained pruned model) holds fewer blocks than
        // the backbone: it needs the index it was written with, which says which blocks those are
        if (petlFile is not null) PetlBlocks.Check(petlFile.Shapes, petlFile.Metadata, options.Petl!, full.Depth, indexGiven: plan is not null);
        int d = planned.Blocks.Count;
        if (peft is not null)
        {
            if (options.PetlMethod is not null || options.PetlDim is not null || options.PetlScale is not null)
                throw new SlsInputException(options.Petl!, $"is a PEFT adapter folder: its ranks and scaling come from {PeftAdapter.ConfigName}, "
                    + $"so --petl-method, --petl-dim and --petl-scale do not apply");
            peft.Bind(backbone.Tensors, options.Backbone);
        }

        // a standalone export carries its adapters (and their settings in its metadata) in the backbone file itself
        var petl = petlFile is null && PetlMethods.Detect(backbone.Shapes.Keys) != PetlMethods.Linear
            ? PetlResolver.Resolve(backbone.Shapes, backbone.Metadata, options.Backbone, options.PetlMethod, options.PetlDim, options.PetlScale)
            : PetlSettings.None;
        // a PEFT adapter's LoRA pairs are merged into the backbone's weights as they are read (W + s B A); its
        // modules_to_save classifier, if any, is the task head
        var weights = family.Apply(planned, backbone.Read(Keeps(planned), peft is null ? null : peft.Patch), full, petl.Method.SliceRules);
        var config = full;
        bool peftHeadRead = false;
        var fromPetl = new HashSet<string>(StringComparer.Ordinal);   // the weights the PETL file (or folder) gave
        if (peft?.ReadHead() is { } peftHead)
        {
            peftHeadRead = true;
            DropHead(weights);
            foreach (var (k, v) in peftHead) weights[k] = v;
            fromPetl.UnionWith(peftHead.Keys);
            config = full.WithClasses(peft.HeadClasses!.Value);
        }
        if (petlFile is not null)
        {
            petl = PetlResolver.Resolve(petlFile.Shapes, petlFile.Metadata, options.Petl!, options.PetlMethod, options.PetlDim, options.PetlScale);
            if (!petlFile.Shapes.TryGetValue("head.weight", out var head))
                throw new SlsInputException(options.Petl!, "PETL file has no 'head.weight'");
            DropHead(weights);
            foreach (var (k, v) in family.Apply(planned, petlFile.Read(Keeps(planned)), full, petl.Method.SliceRules))
            {
                weights[k] = v;
                fromPetl.Add(k);
            }
            config = full.WithClasses((int)head[0]);
        }
        // each weight is named with the file it came from; one the model lacks, with the file that should have held it
        string FileOf(string name) => fromPetl.Contains(name) || petlFile is not null && !weights.ContainsKey(name)
            && PetlMethods.IsTaskParameter(name) ? options.Petl! : options.Backbone;

        bool merge = options.Merge && petl.Method.Mergeable;
        if (merge && family.MergeLimit(full, planned, petl.Method) is { } why) throw new SlsInputException("--merge", why);
        if (merge)
        {
            StateDictLoader.RequireFloat(weights, FileOf);
            weights = petl.Method.Merge(weights, petl, d);
        }
        var model = family.Create(config, planned, merge ? PetlSettings.None : petl);
        Bounded(model, options.BatchSize);
        // the head's class names: the checkpoint's own head's (a Hugging Face id2label), or those `sls train` kept in the PETL file
        bool headFromBackbone = petlFile is null && !peftHeadRead;
        if (headFromBackbone && model.NumClasses > 0 && backbone.Hints.Labels is { } named && named.Count != model.NumClasses)
            throw new SlsInputException(options.Backbone, $"its config's id2label names {named.Count} classes but its classifier head has "
                + $"{model.NumClasses} rows");
        var labels = petlFile is not null ? Checkpoints.ClassNamesMetadata.Read(petlFile.Metadata, options.Petl!, model.NumClasses)
            : headFromBackbone ? backbone.Hints.Labels : null;
        var built = Load(new BuiltModel(model, petl, merge, full.Depth, planned, options.Backbone, options.Petl)
        {
            ClassNames = labels, HeadSource = headFromBackbone ? options.Backbone : options.Petl ?? options.Backbone, HeadFromBackbone =
                headFromBackbone,
            InputOrigin = full.InputOrigin,
        }, weights, options.Petl ?? options.Backbone, check, fileOf: FileOf);
        if (petlFile is not null && !options.AllowMismatch && petlFile.Metadata.TryGetValue("backbone_sha256", out var trainedOn)
            && !built.BackboneFile.Matches(trainedOn))
        {
            built.Dispose();
            throw new SlsInputException(options.Petl!, $"PETL file was trained on a different backbone (SHA-256 {Short(trainedOn)}..., "
                + $"{Printable.Escape(options.Backbone)} has {Short(built.BackboneFile.Sha256)}...); pass --allow-mismatch to use it anyway");
        }
        model.eval();
        if (device is not null && device.type != DeviceType.CPU) model.to(device);
        if (options.Precision != Precision.Fp32) model.to(options.Precision.ScalarType());
        return built;
    }

    /// <summary>The backbone's blocks (as <paramref name="plan"/> keeps them) with fresh PETL modules and head, or
    /// those of <see cref="TrainableRequest.InitFrom"/> (retraining after pruning); on the CPU, in training's
    /// initialisation order (the caller seeds torch's generator first).</summary>
    public static BuiltModel BuildTrainable(ModelOptions options, TrainableRequest request, ModelPlan? plan = null, string? planSource = null,
        FingerprintCheck? check = null)
    {
        using var backbone = StateDictFile.Open(options.Backbone);
        var (family, full, planned) = Plan(options, backbone, plan, planSource);
        full = full.WithClasses(request.Classes);
        ActivationBudget.CheckTraining(full, request.Petl, "--petl-dim", wholeModel: false);
        var weights = family.Apply(planned, backbone.Read(Keeps(planned)), full);
        var model = family.Create(full, planned, request.Petl);   // head: torch's default Linear init (as timm's reset_classifier)
        Bounded(model, options.BatchSize);
        var built = new BuiltModel(model, request.Petl, false, full.Depth, planned, options.Backbone, request.InitFrom)
        {
            InputOrigin = full.InputOrigin
        };
        var fromInit = new HashSet<string>(StringComparer.Ordinal);   // the weights to start from, named with their file
        string initSource = request.InitFrom ?? "the weights to start from";
        return Load(built, weights, options.Backbone, check, fileOf: name => fromInit.Contains(name) ? initSource : options.Backbone, prepare: () =>
        {
            model.ResetAdapters();
            DropHead(weights);
            foreach (var (name, p) in model.state_dict().Where(kv => PetlMethods.IsTaskParameter(kv.Key))) weights[name] = p.clone();
            Dictionary<string, Tensor>? init = null;
            if (request.InitFrom is not null)
            {
                using var file = StateDictFile.Open(request.InitFrom);
                var method = PetlMethods.Detect(file.Shapes.Keys);
                if (method != request.Petl.Method)
                    throw new SlsInputException(request.InitFrom, $"holds {method.Name} weights but training asks for {request.Petl.Method.Name}");
                init = file.Read(Keeps(planned));
            }
            else if (request.InitTensors is not null)
            {
                var keep = Keeps(planned);
                init = request.InitTensors.Where(kv => keep(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value.clone(), StringComparer.Ordinal);
            }
            if (init is not null)
            {
                foreach (var (name, t) in family.Apply(planned, init, full, request.Petl.Method.SliceRules))
                {
                    if (!weights.TryGetValue(name, out var fresh) || !fresh.shape.SequenceEqual(t.shape))
                        throw new SlsInputException(initSource, $"tensor '{name}' does not fit the model being trained");
                    fresh.Dispose();
                    weights[name] = t;
                    fromInit.Add(name);
                }
            }
        });
    }

    /// <summary>Completes the weights (<paramref name="prepare"/>), loads them strictly and checks the fingerprints; the
    /// weights are disposed either way, the model when anything fails.</summary>
    private static BuiltModel Load(BuiltModel built, Dictionary<string, Tensor> weights, string source, FingerprintCheck? check, Action? prepare =
        null, Func<string, string>? fileOf = null)
    {
        try
        {
            prepare?.Invoke();
            StateDictLoader.Load(built.Model, weights, source, fileOf: fileOf);
            check?.Verify(built);
        }
        catch
        {
            built.Dispose();
            throw;
        }
        finally
        {
            foreach (var w in weights.Values) w.Dispose();
        }
        return built;
    }

    /// <summary>The blocks of the backbone <paramref name="options"/> names, read off its tensors' shapes (no weights).</summary>
    public static int Depth(ModelOptions options)
    {
        using var backbone = StateDictFile.Open(options.Backbone);
        return Plan(options, backbone, null, null).Full.Depth;
    }

    /// <summary>A model of <paramref name="family"/> with fresh weights (its learned tokens and tables as the family
    /// initialises them) and no PETL, for pre-training from scratch: nothing is read.</summary>
    public static Backbone Untrained(IBackboneFamily family, IBackboneShape shape)
    {
        var model = family.Create(shape, ModelPlan.Full(shape.Depth), PetlSettings.None);
        family.InitialiseUntrained(model);
        return model;
    }

    /// <summary>The backbone's family and full shape, and the plan checked against it.</summary>
    private static (IBackboneFamily Family, IBackboneShape Full, ModelPlan Plan) Plan(ModelOptions options, StateDictFile backbone, ModelPlan? plan,
        string? planSource)
    {
        var family = BackboneFamilies.For(backbone.Shapes, options.Backbone);
        var full = family.Infer(backbone.Shapes, backbone.Hints, options, options.Backbone);
        plan ??= family.StoredPlan(backbone.Shapes, full, options.Backbone);
        family.Validate(plan, full, planSource ?? options.Backbone);
        return (family, full, plan);
    }

    /// <summary>The backbone's own head (and a DeiT's distillation head) goes: the task brings its head (a PETL file's, or a fresh one).</summary>
    private static void DropHead(Dictionary<string, Tensor> weights)
    {
        foreach (var k in weights.Keys.Where(k => k.StartsWith("head.", StringComparison.Ordinal) || k.StartsWith("head_dist.",
            StringComparison.Ordinal)).ToList())
        {
            weights[k].Dispose();
            weights.Remove(k);
        }
    }

    /// <summary>The model's activations for a batch within <see cref="ActivationBudget"/>; the model is let go otherwise.</summary>
    private static void Bounded(Backbone model, int batchSize)
    {
        try
        {
            ActivationBudget.Check(model, batchSize);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static string Short(string sha) => Printable.Escape(sha.Length > 12 ? sha[..12] : sha);

    private static Func<string, bool> Keeps(ModelPlan plan) => name => BlockKey.Parse(name) is not (int b, _) || plan.Keeps(b);
}
