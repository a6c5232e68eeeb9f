using System.Globalization;
using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Models;
using SlsPrune.Core.Indexing;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Models.Petl.Methods;
using SlsPrune.Core.Models.Vit;
using SlsPrune.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>
/// Width pruning at a uniform ratio: every block keeps the same number of heads (or, with width unit
/// <c>dims</c>, of dimensions in every head) and of MLP units, the most important by <see cref="WidthImportance"/>. <c>depgraph</c> ranks the frozen weights (Taylor, L1, L2 or
/// random); <c>spa</c> (structured pruning adapters) ranks a SPLoRA model's adapted weights W + s B A by
/// magnitude and writes the task's adapters masked the same way, so a task stores masks and masked adapters
/// only. The backbone is untouched either way, so the index's kept-index lists are all a task needs beside
/// its PETL file.
/// </summary>
public static class WidthPruner
{
    private static readonly string[] Parts = ["attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight"];

    /// <param name="spa">rank the adapted weights of a SPLoRA model and write its adapters masked to <paramref name="petlOut"/>.</param>
    public static MethodOutput Run(PruneContext ctx, WidthOptions o, bool spa, string? petlOut)
    {
        var loaded = ctx.Model;
        var vit = loaded.Model as VisionTransformer ?? throw new SlsInputException(ctx.Options.Model.Backbone, $"width pruning supports ViT backbones; this is a {loaded.Model.Family}");
        var config = vit.Config;
        var criterion = o.Importance;
        if (spa && loaded.Petl.Method is not SpLoraMethod)
            throw new SlsInputException(ctx.Options.Model.Petl!, $"spa prunes SPLoRA models (train with --petl-method splora); this file holds {loaded.Petl.Method.Name} weights");
        if (spa && criterion is not (WidthCriterion.L1 or WidthCriterion.L2))
            throw new SlsInputException("--importance", "spa ranks channels by the magnitude of W + s B A: use l1 or l2");
        double ratio = Ratio(ctx, o);
        bool dims = o.WidthUnit == WidthUnit.Dims;

        Dictionary<string, Tensor>? grads = null;
        if (criterion == WidthCriterion.Taylor)
            grads = TaylorGradients(vit, ctx.Items, Preprocessor.For(vit.Input), ctx.Options.Model.BatchSize, o.TaylorBatches, ctx.Options.Seed, ctx.Device, ctx.Progress, ctx.Cancellation);

        ctx.Progress?.Start(PruneStage.Scoring, $"{WidthImportance.Name(criterion)} importance of heads and MLP units", config.Depth);
        var weights = vit.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);
        var random = new Random(ctx.Options.Seed);
        var widths = new List<BlockWidthEntry>();
        int headDim = config.Width / config.Heads;
        int keepHeads = dims ? config.Heads : WidthImportance.Kept(config.Heads, ratio), keepUnits = WidthImportance.Kept(config.MlpHidden, ratio);
        int keepDims = dims ? WidthImportance.Kept(headDim, ratio) : headDim;
        for (int b = 0; b < config.Depth; b++)
        {
            ctx.Cancellation.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            var w = Parts.ToDictionary(k => k[(k.IndexOf('.') + 1)..], k => spa ? Adapted(weights, $"blocks.{b}.{k}", loaded.Petl.Scale) : weights[$"blocks.{b}.{k}"]);
            var g = grads is null ? null : Parts.ToDictionary(k => k[(k.IndexOf('.') + 1)..], k => grads[$"blocks.{b}.{k}"]);
            var imp = WidthImportance.Score(w, g, criterion, config, random);
            widths.Add(new BlockWidthEntry(b + 1, WidthImportance.Top(imp.Heads, keepHeads), WidthImportance.Top(imp.Units, keepUnits),
                dims ? WidthImportance.Top(imp.HeadDims, keepDims) : null));
            ctx.Progress?.Advance(PruneStage.Scoring, b + 1);
        }
        ctx.Progress?.Complete(PruneStage.Scoring);
        if (grads is not null) foreach (var t in grads.Values) t.Dispose();

        var plan = new ModelPlan(config.Depth, Enumerable.Range(0, config.Depth).ToArray(), widths.ToDictionary(w => w.Block - 1, w => new BlockWidth(w.Heads, w.MlpUnits, w.HeadDims)));
        long prunedBytes = PrunedTensorBytes(ctx.Options.Model.Backbone, plan, config);
        string attention = dims ? $"{keepDims} of {headDim} dimensions in each of its {config.Heads} heads" : $"{keepHeads} of {config.Heads} heads";
        string decision = $"uniform ratio {ratio:0.###}: every block keeps {attention} and {keepUnits} of {config.MlpHidden} MLP units";
        var index = ctx.Index with
        {
            Width = widths, Ratio = ratio, Decision = decision, PrunedTensorBytes = prunedBytes,
            Metric = spa ? $"{WidthImportance.Name(criterion)}-of-adapted-weight" : WidthImportance.Name(criterion),
        };
        if (!spa) return new MethodOutput(index);

        string output = Path.GetFullPath(petlOut ?? ctx.DefaultPetlOut());
        ctx.Cancellation.ThrowIfCancellationRequested();
        WriteMaskedPetl(ctx.Options.Model.Petl!, output, plan, config, ratio, loaded.Petl);
        return new MethodOutput(index with { Petl = FileHash.Fingerprint(output) }, output);
    }

    /// <summary>The pruning ratio: given, or the share of blocks an SLS (or any) index drops, so both methods
    /// prune the same share of block parameters.</summary>
    public static double Ratio(PruneContext ctx, WidthOptions o)
    {
        if (o.Ratio is not null && o.MatchIndex is not null) throw new SlsInputException("--ratio", "give --ratio or --match-index, not both");
        int depth = ctx.Model.FullDepth;
        double r = o.MatchIndex is not null ? 1 - (double)ctx.MatchedKeptBlocks(o.MatchIndex) / depth
            : o.Ratio ?? throw new SlsInputException("--ratio", $"{ctx.Options.Method.Name} needs --ratio R (0 <= R < 1) or --match-index INDEX");
        if (!(r >= 0 && r < 1)) throw new SlsInputException("--ratio", $"must be in [0, 1) (got {r})");
        return r;
    }

    /// <summary>W + s B A of a SPLoRA layer (biases as they are).</summary>
    private static Tensor Adapted(IReadOnlyDictionary<string, Tensor> p, string name, double scale)
    {
        if (!name.EndsWith(".weight", StringComparison.Ordinal)) return p[name];
        string layer = name[..^".weight".Length];
        return p[name].detach() + p[layer + ".lora_B.weight"].detach().matmul(p[layer + ".lora_A.weight"].detach()) * scale;
    }

    /// <summary>Gradients of the cross-entropy of the first <paramref name="batches"/> (seeded shuffle) calibration
    /// batches with respect to every block's grouped weights, accumulated as repeated backward passes do.</summary>
    public static Dictionary<string, Tensor> TaylorGradients(Backbone model, IReadOnlyList<LabelledImage> items, Preprocessor pre,
        int batchSize, int batches, int seed, Device device, IStageProgress? progress, CancellationToken ct)
    {
        if (batches <= 0) throw new SlsInputException("--taylor-batches", "must be positive");
        IEnumerable<(Tensor, Tensor)> Batches()
        {
            int done = 0;
            foreach (var batch in BatchLoader.Batches(items, pre, batchSize, seed).Take(batches))
            {
                ct.ThrowIfCancellationRequested();
                using (batch) yield return (batch.Images, batch.Labels);
                progress?.Advance(PruneStage.Features, ++done);
            }
        }
        progress?.Start(PruneStage.Features, $"Taylor gradients ({batches} batches)", batches);
        var grads = TaylorGradients(model, Batches(), device);
        progress?.Complete(PruneStage.Features);
        return grads;
    }

    /// <summary>Gradients of the summed per-batch mean cross-entropy over (images, labels) batches.</summary>
    public static Dictionary<string, Tensor> TaylorGradients(Backbone model, IEnumerable<(Tensor Images, Tensor Labels)> batches, Device device)
    {
        var targets = model.named_parameters().Where(p => BlockKey.Parse(p.name) is (_, string tail) && Parts.Contains(tail)).ToList();
        foreach (var (_, p) in model.named_parameters()) p.requires_grad = false;
        foreach (var (_, p) in targets) p.requires_grad = true;
        model.eval();
        foreach (var (images, labels) in batches)
        {
            using var scope = torch.NewDisposeScope();
            nn.functional.cross_entropy(model.forward(images.to(device)), labels.to(device)).backward();
        }
        var grads = targets.ToDictionary(t => t.name, t => t.parameter.grad!.detach().clone(), StringComparer.Ordinal);
        foreach (var (_, p) in targets) { p.grad = null; p.requires_grad = false; }
        return grads;
    }

    /// <summary>Bytes of every backbone tensor width pruning changes, at its pruned shape, in the backbone's dtype.</summary>
    private static long PrunedTensorBytes(string backbonePath, ModelPlan plan, VitConfig config)
    {
        using var backbone = CheckpointFile.Open(CheckpointSource.Resolve(backbonePath).WeightsFile);
        long bytes = 0;
        long elementSize = TensorDTypes.ElementSize(backbone.Tensors.MaxBy(t => t.ElementCount)!.DType);
        foreach (var (block, w) in plan.Widths!)
        {
            long inner = (long)w.Heads.Count * (w.HeadDims?.Count ?? config.Width / config.Heads), units = w.MlpUnits.Count;
            bytes += (3 * inner * config.Width + 3 * inner + config.Width * inner + units * config.Width + units + config.Width * units) * elementSize;
        }
        return bytes;
    }

    private static void WriteMaskedPetl(string petlPath, string outPath, ModelPlan plan, VitConfig config, double ratio, PetlSettings settings)
    {
        using var petl = StateDictFile.Open(petlPath);
        var metadata = petl.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
        metadata["pruned_ratio"] = ratio.ToString("R", CultureInfo.InvariantCulture);
        var masked = plan.Apply(petl.Read(), config, settings.Method.SliceRules);
        try
        {
            SafetensorsWriter.Write(outPath, masked, metadata);
        }
        finally
        {
            foreach (var t in masked.Values) t.Dispose();
        }
    }
}
