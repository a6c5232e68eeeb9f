using System.Globalization;
using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Indexing;
using SlsPrune.Core.IO;
using SlsPrune.Core.Models;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Models.Petl.Methods;
using SlsPrune.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>
/// Width pruning at a uniform ratio: every block keeps the same share of its heads (or, with width unit
/// <c>dims</c>, of the dimensions in every head) and of its MLP units, the most important by
/// <see cref="WidthImportance"/>; blocks of different sizes (a Swin's stages) keep as many as the ratio gives each.
/// Any family whose blocks say their sizes (<see cref="Backbone.FullBlockSizes"/>) is pruned the same way: its
/// blocks' qkv, proj, fc1 and fc2 are named alike. <c>depgraph</c> ranks the frozen weights (Taylor, L1, L2 or
/// random); <c>spa</c> (structured pruning adapters) ranks a SPLoRA model's adapted weights W + s B A by
/// magnitude and writes the task's adapters masked the same way, so a task stores masks and masked adapters
/// only. The backbone is untouched either way, so the index's kept-index lists are all a task needs beside
/// its PETL file.
/// </summary>
public static class WidthPruner
{
    private static readonly string[] Parts = ["attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight", "mlp.fc1.weight", "mlp.fc1.bias",
        "mlp.fc2.weight"];

    /// <param name="spa">rank the adapted weights of a SPLoRA model and write its adapters masked to <paramref name="petlOut"/>.</param>
    public static MethodOutput Run(PruneContext ctx, WidthOptions o, bool spa, string? petlOut)
    {
        var loaded = ctx.Model;
        var model = loaded.Model;
        var sizes = Sizes(ctx);
        var criterion = o.Importance;
        if (spa && loaded.Petl.Method is not SpLoraMethod)
            throw new SlsInputException(ctx.Options.Model.Petl!, $"spa prunes SPLoRA models (train with --petl-method splora); this file holds "
                + $"{loaded.Petl.Method.Name} weights");
        if (spa && criterion is not (WidthCriterion.L1 or WidthCriterion.L2))
            throw new SlsInputException("--importance", "spa ranks channels by the magnitude of W + s B A: use l1 or l2");
        bool dims = o.WidthUnit == WidthUnit.Dims;

        Dictionary<string, Tensor>? grads = null;
        if (criterion == WidthCriterion.Taylor)
            grads = TaylorGradients(model, ctx.Items, Preprocessor.For(model.Input), ctx.Options.Model.BatchSize, o.TaylorBatches, ctx.Options.Seed,
                ctx.Device, ctx.Progress, ctx.Cancellation);

        int depth = sizes.Length;
        ctx.Progress?.Start(PruneStage.Scoring, $"{WidthImportance.Name(criterion)} importance of heads and MLP units", depth);
        var weights = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);
        var random = new Random(ctx.Options.Seed);
        // every block's heads (dims) and units ranked once; a ratio then takes the top of each ranking
        var ranked = new List<(IReadOnlyList<int> Heads, IReadOnlyList<int> Units, IReadOnlyList<int> HeadDims)>();
        for (int b = 0; b < depth; b++)
        {
            ctx.Cancellation.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            var w = Parts.ToDictionary(k => k[(k.IndexOf('.') + 1)..], k => spa ? Adapted(weights, BlockKey.Name(b, k), loaded.Petl.Scale)
                : weights[BlockKey.Name(b, k)]);
            var g = grads is null ? null : Parts.ToDictionary(k => k[(k.IndexOf('.') + 1)..], k => grads[BlockKey.Name(b, k)]);
            var imp = WidthImportance.Score(w, g, criterion, sizes[b], random);
            ranked.Add((WidthImportance.Ranking(imp.Heads), WidthImportance.Ranking(imp.Units), dims ? WidthImportance.Ranking(imp.HeadDims) : []));
            ctx.Progress?.Advance(PruneStage.Scoring, b + 1);
        }
        ctx.Progress?.Complete(PruneStage.Scoring);
        if (grads is not null) foreach (var t in grads.Values) t.Dispose();

        List<BlockWidthEntry> WidthsAt(double r) => Enumerable.Range(0, depth).Select(b =>
        {
            var (keepHeads, keepDims, keepUnits) = Keeps(sizes[b], r, dims);
            return new BlockWidthEntry(b + 1, Order(ranked[b].Heads, keepHeads), Order(ranked[b].Units, keepUnits), dims ? Order(ranked[b].HeadDims,
                keepDims) : null);
        }).ToList();
        ModelPlan PlanOf(List<BlockWidthEntry> ws) =>
            new(depth, Enumerable.Range(0, depth).ToArray(), ws.ToDictionary(w => w.Block - 1, w => new BlockWidth(w.Heads, w.MlpUnits, w.HeadDims)));

        double ratio;
        List<BlockWidthEntry> widths;
        BudgetRecord? budgetRecord = null;
        if (ctx.Budget is { } budget)
            (ratio, widths, budgetRecord) = WidthBudget.Fit(ctx, budget, WidthsAt, ws => PlanOf(ws));
        else
        {
            ratio = Ratio(ctx, o);
            widths = WidthsAt(ratio);
        }
        var plan = PlanOf(widths);
        long prunedBytes = PrunedTensorBytes(ctx.Options.Model.Backbone, plan, sizes);
        var index = ctx.Index with
        {
            Width = widths,
            Decision = Decision(sizes, ratio, dims) + (budgetRecord is null ? "" : $"; ratio from budget {budgetRecord.Spec}"),
            Budget = budgetRecord,
            Section = new WidthSection { Ratio = ratio, PrunedTensorBytes = prunedBytes },
            Metric = spa ? $"{WidthImportance.Name(criterion)}-of-adapted-weight" : WidthImportance.Name(criterion),
        };
        if (!spa) return new MethodOutput(index);

        string output = Path.GetFullPath(petlOut ?? ctx.DefaultPetlOut());
        ctx.Cancellation.ThrowIfCancellationRequested();
        WriteMaskedPetl(ctx.Options.Model.Petl!, output, plan, sizes, ratio, loaded.Petl);
        return new MethodOutput(index with { Petl = FileHash.Fingerprint(output) }, output);
    }

    /// <summary>The first <paramref name="count"/> of a ranking (most important first), ascending.</summary>
    private static int[] Order(IReadOnlyList<int> ranking, int count) => ranking.Take(count).Order().ToArray();

    /// <summary>Every block's full sizes; refused for a family whose blocks cannot be narrowed, or a backbone already narrowed.</summary>
    private static BlockSizes[] Sizes(PruneContext ctx)
    {
        var model = ctx.Model.Model;
        string backbone = ctx.Options.Model.Backbone;
        if (ctx.Model.Plan.Widths is { Count: > 0 } || model.Depth != ctx.Model.FullDepth)
            throw new SlsInputException(backbone, "is already pruned (it stores narrower or fewer blocks): width pruning starts from the full "
                + "backbone");
        return Enumerable.Range(0, model.Depth).Select(i => model.FullBlockSizes(i)
            ?? throw new SlsInputException(backbone, $"width pruning narrows blocks of attention heads and MLP units; the {model.Family} family's "
                + $"blocks cannot be narrowed")).ToArray();
    }

    /// <summary>What a block of these sizes keeps at the ratio: heads, dimensions per head, MLP units.</summary>
    private static (int Heads, int Dims, int Units) Keeps(BlockSizes full, double ratio, bool dims) =>
        (dims ? full.Heads : WidthImportance.Kept(full.Heads, ratio), dims ? WidthImportance.Kept(full.HeadDim, ratio) : full.HeadDim,
            WidthImportance.Kept(full.MlpHidden, ratio));

    /// <summary>The decision in words: what every block keeps, or, where blocks differ in size (a Swin's stages),
    /// what each run of equal blocks keeps.</summary>
    private static string Decision(BlockSizes[] sizes, double ratio, bool dims)
    {
        string Keep(BlockSizes f)
        {
            var (heads, d, units) = Keeps(f, ratio, dims);
            string attention = dims ? $"{d} of {f.HeadDim} dimensions in each of its {f.Heads} heads" : $"{heads} of {f.Heads} heads";
            return $"{attention} and {units} of {f.MlpHidden} MLP units";
        }
        var runs = new List<(int First, int Last)>();
        for (int b = 0; b < sizes.Length; b++)
            if (runs.Count > 0 && sizes[runs[^1].Last] == sizes[b]) runs[^1] = (runs[^1].First, b);
            else runs.Add((b, b));
        string text = runs.Count == 1 ? $"every block keeps {Keep(sizes[0])}"
            : string.Join("; ", runs.Select(r => r.First == r.Last ? $"block {r.First + 1} keeps {Keep(sizes[r.First])}"
                : $"blocks {r.First + 1}-{r.Last + 1} keep {Keep(sizes[r.First])}"));
        return $"uniform ratio {ratio:0.###}: {text}";
    }

    /// <summary>The checks of the width methods' options that need neither data nor model.</summary>
    public static void Validate(WidthOptions o, string method, bool spa, Budgets.Budget? budget = null)
    {
        if (o.Ratio is not null && o.MatchIndex is not null) throw new SlsInputException("--ratio", "give --ratio or --match-index, not both");
        if (budget is not null && (o.Ratio is not null || o.MatchIndex is not null))
            throw new SlsInputException("--budget", $"give --budget or {(o.Ratio is not null ? "--ratio" : "--match-index")}, not both (the budget "
                + $"sets {method}'s ratio)");
        if (o.Ratio is null && o.MatchIndex is null && budget is null) throw new SlsInputException("--ratio",
            $"{method} needs --ratio R (0 <= R < 1) or --match-index INDEX");
        if (o.Ratio is double r && !(r >= 0 && r < 1)) throw new SlsInputException("--ratio", $"must be in [0, 1) (got {r})");
        if (o.TaylorBatches <= 0) throw new SlsInputException("--taylor-batches", "must be positive");
        if (spa && o.Importance is not (WidthCriterion.L1 or WidthCriterion.L2))
            throw new SlsInputException("--importance", "spa ranks channels by the magnitude of W + s B A: use l1 or l2");
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

    /// <summary>Bytes of every backbone tensor width pruning changes (qkv, proj, fc1, fc2 and per-head tables), at its pruned
    /// shape, in the backbone's dtype.</summary>
    private static long PrunedTensorBytes(string backbonePath, ModelPlan plan, BlockSizes[] sizes)
    {
        using var backbone = CheckpointFile.Open(CheckpointSource.Resolve(backbonePath).WeightsFile);
        long bytes = 0;
        long elementSize = TensorDTypes.ElementSize(backbone.Tensors.MaxBy(t => t.ElementCount)!.DType);
        foreach (var (block, w) in plan.Widths!)
        {
            var f = sizes[block];
            long width = f.Width, inner = f.Keep(w).Inner, units = w.MlpUnits.Count;
            bytes += (3 * inner * width + 3 * inner + width * inner + units * width + units + width * units + (long)w.Heads.Count * f.HeadTable)
                * elementSize;
        }
        return bytes;
    }

    private static void WriteMaskedPetl(string petlPath, string outPath, ModelPlan plan, BlockSizes[] sizes, double ratio, PetlSettings settings)
    {
        using var petl = StateDictFile.Open(petlPath);
        var metadata = petl.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
        metadata["pruned_ratio"] = ratio.ToString("R", CultureInfo.InvariantCulture);
        var masked = plan.Apply(petl.Read(), b => sizes[b], settings.Method.SliceRules);
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
