using System.Diagnostics;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Features;
using SlsPrune.Core.Inspection;
using SlsPrune.Core.Models;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Runtime;
using TorchSharp;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>
/// <c>sls prune --method bi|cka|probe|depgraph|aglp|spa</c>: the same inputs and outputs as SLS (an index,
/// and for aglp and spa a new PETL file), so eval, retraining and batches treat every method alike.
/// </summary>
public static class BaselineRunner
{
    public static PruneResult Run(PruneOptions o, IStageProgress? progress, CancellationToken cancellationToken)
    {
        if (o.Model.Petl is null) throw new SlsInputException("--petl", "pruning needs the PETL weights the task was tuned with");
        if (o.BatchSize <= 0) throw new SlsInputException("--batch-size", "must be positive");
        var seconds = new Dictionary<string, double>();
        var clock = Stopwatch.StartNew();
        double Lap() { double s = clock.Elapsed.TotalSeconds; clock.Restart(); return s; }
        var device = DeviceSelector.Resolve(o.Device);

        progress?.Start(PruneStage.Load, "load model", 1);
        var task = VtabTask.Open(o.Data);
        var loaded = PetlModelLoader.Load(o.Model, device);
        var config = loaded.Config;
        var items = task.Read(o.Split, config.NumClasses);
        int classes = items.Select(i => i.Label).Distinct().Count();
        progress?.Complete(PruneStage.Load);
        seconds["load"] = Lap();

        var index = new PruningIndex
        {
            Method = PruneMethods.Name(o.Method),
            Metric = o.Method switch { PruneMethod.Bi => "block-influence", PruneMethod.Cka => "1-linear-cka", PruneMethod.Probe => "ridge-probe-accuracy", _ => o.Importance },
            Alpha = o.Alpha,
            Depth = config.Depth,
            KeptBlocks = Enumerable.Range(1, config.Depth).ToArray(),
            Decision = "",
            Calibration = new CalibrationInfo(task.Name, o.Split, items.Count, classes, o.Seed, o.Model.Precision.Name()),
            Backbone = new FileFingerprint(Path.GetFullPath(o.Model.Backbone), InspectRunner.Sha256(o.Model.Backbone)),
            Petl = new FileFingerprint(Path.GetFullPath(o.Model.Petl), InspectRunner.Sha256(o.Model.Petl)),
            Tool = PruneRunner.Tool,
            Created = DateTimeOffset.UtcNow,
        };
        string? petlOut = null;
        var pre = Preprocessor.For(config);
        using (var model = loaded.Model)
        {
            switch (o.Method)
            {
                case PruneMethod.Bi:
                case PruneMethod.Cka:
                case PruneMethod.Probe:
                    index = LayerScores(o, model, task, items, pre, device, index, progress, cancellationToken);
                    break;
                case PruneMethod.DepGraph:
                case PruneMethod.Spa:
                    (index, petlOut) = WidthPruner.Run(o, loaded, items, device, index, progress, cancellationToken);
                    break;
                case PruneMethod.Aglp:
                    (index, petlOut) = GreedyLayerPruner.Run(o, loaded, task, index, progress, cancellationToken);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(o), o.Method, "SLS runs in PruneRunner");
            }
        }
        seconds["method"] = Lap();
        progress?.Start(PruneStage.Write, "write index", 1);
        index = index with { MethodSeconds = seconds["method"], Created = DateTimeOffset.UtcNow };
        index.Save(o.Out);
        progress?.Complete(PruneStage.Write);
        seconds["write"] = Lap();
        return new PruneResult(index, Path.GetFullPath(o.Out), null, [], seconds, device.ToString(), petlOut);
    }

    private static PruningIndex LayerScores(PruneOptions o, Models.Vit.VisionTransformer model, VtabTask task, IReadOnlyList<LabelledImage> items,
        Preprocessor pre, torch.Device device, PruningIndex index, IStageProgress? progress, CancellationToken ct)
    {
        double[] scores;
        bool perBlock = o.Method != PruneMethod.Probe;
        if (o.Method == PruneMethod.Bi)
        {
            progress?.Start(PruneStage.Features, $"block influence ({items.Count} images)", items.Count);
            scores = BlockInfluence.Measure(model, items, pre, o.BatchSize, device, new Callback<int>(n => progress?.Advance(PruneStage.Features, n)), ct);
            progress?.Complete(PruneStage.Features);
        }
        else if (o.Method == PruneMethod.Cka)
        {
            progress?.Start(PruneStage.Features, $"cls features ({items.Count} images)", items.Count);
            using var f = LayerFeatureExtractor.Extract(model, items, pre, o.BatchSize, device, new Callback<int>(n => progress?.Advance(PruneStage.Features, n)), ct);
            progress?.Complete(PruneStage.Features);
            scores = LinearCka.BlockImportance(f.Features);
        }
        else
        {
            var fit = task.Read(o.FitSplit, model.Config.NumClasses);
            var score = task.Read(o.ScoreSplit, model.Config.NumClasses);
            progress?.Start(PruneStage.Features, $"cls features ({o.FitSplit} + {o.ScoreSplit})", fit.Count + score.Count);
            using var ff = LayerFeatureExtractor.Extract(model, fit, pre, o.BatchSize, device, new Callback<int>(n => progress?.Advance(PruneStage.Features, n)), ct);
            using var fs = LayerFeatureExtractor.Extract(model, score, pre, o.BatchSize, device, new Callback<int>(n => progress?.Advance(PruneStage.Features, fit.Count + n)), ct);
            progress?.Complete(PruneStage.Features);
            progress?.Start(PruneStage.Scoring, "ridge probe per layer", ff.Layers);
            scores = new double[ff.Layers];
            for (int l = 0; l < ff.Layers; l++)
            {
                using var a = ff.Features[l];
                using var b = fs.Features[l];
                scores[l] = RidgeProbe.Accuracy(a, ff.Labels, b, fs.Labels, model.Config.NumClasses);
                progress?.Advance(PruneStage.Scoring, l + 1, $"layer {l + 1}: {scores[l]:P1}");
            }
            progress?.Complete(PruneStage.Scoring);
        }
        var choice = LayerDecision.Choose(scores, perBlock, o.Alpha, BlockBudget(o, model.Config.Depth));
        return index with { Scores = scores, KeptBlocks = choice.Kept, Threshold = choice.Threshold, Decision = choice.Reason };
    }

    /// <summary>The block budget of layer methods: <c>--keep-blocks</c>, or as many blocks as <c>--match-index</c> keeps.</summary>
    public static int? BlockBudget(PruneOptions o, int depth)
    {
        if (o.KeepBlocks is not null && o.MatchIndex is not null) throw new SlsInputException("--keep-blocks", "give --keep-blocks or --match-index, not both");
        return MatchedKeptBlocks(o, depth) ?? o.KeepBlocks;
    }

    /// <summary>How many blocks the <c>--match-index</c> index keeps (null without one); its depth must be this model's.</summary>
    public static int? MatchedKeptBlocks(PruneOptions o, int depth)
    {
        if (o.MatchIndex is null) return null;
        var other = PruningIndex.Load(o.MatchIndex);
        if (other.Depth != depth) throw new SlsInputException(o.MatchIndex, $"index is for a {other.Depth}-block model, this one has {depth}");
        return other.KeptBlocks.Count;
    }

    /// <summary>The default path of a method's new PETL file: beside the index.</summary>
    public static string DefaultPetlOut(string indexPath)
    {
        string full = Path.GetFullPath(indexPath);
        string name = Path.GetFileName(full);
        foreach (var ext in new[] { ".sls.json", ".json" })
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) { name = name[..^ext.Length]; break; }
        return Path.Combine(Path.GetDirectoryName(full)!, name + ".petl.safetensors");
    }
}
