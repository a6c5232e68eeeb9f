using System.Diagnostics;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Evaluation;
using SlsPrune.Core.Evaluation.Tsne;
using SlsPrune.Core.Features;
using SlsPrune.Core.Inspection;
using SlsPrune.Core.Models;
using SlsPrune.Core.Runtime;
using TorchSharp;

namespace SlsPrune.Core.Pruning;

/// <summary>Options of <c>sls prune</c>.</summary>
public sealed record PruneOptions(
    ModelOptions Model,
    string Data,
    string Split = "train800val200",
    double Alpha = SlsPolicy.DefaultAlpha,
    ClusterMetric Metric = ClusterMetric.Silhouette,
    string Out = "index.sls.json",
    string? PlotsDir = null,
    string? FeaturesOut = null,
    string Device = "auto",
    int BatchSize = 64,
    int Seed = 0,
    double Perplexity = 30.0,
    PruneMethod Method = PruneMethod.Sls)
{
    /// <summary>bi / cka / probe: keep this many blocks instead of the alpha rule.</summary>
    public int? KeepBlocks { get; init; }

    /// <summary>depgraph / spa: fraction of heads and of MLP units pruned in every block.</summary>
    public double? Ratio { get; init; }

    /// <summary>Match another index's budget: depgraph / spa prune its share of block parameters (ratio 1 - kept / depth);
    /// bi / cka / probe keep, and aglp searches down to, as many blocks as it keeps.</summary>
    public string? MatchIndex { get; init; }

    /// <summary>depgraph: taylor, l1, l2 or random; spa: l1 or l2 (of W + s B A).</summary>
    public string Importance { get; init; } = "taylor";

    /// <summary>depgraph / spa: prune whole heads, or dimensions inside every head (q, k, v and proj together).</summary>
    public string WidthUnit { get; init; } = "heads";

    /// <summary>depgraph with taylor: calibration batches the gradients are accumulated over.</summary>
    public int TaylorBatches { get; init; } = 4;

    /// <summary>aglp: epochs of retraining per candidate, the validation fraction of the full score to stay above, lr.</summary>
    public int AglpEpochs { get; init; } = 2;

    public double AglpFraction { get; init; } = 0.95;

    public double AglpLr { get; init; } = 1e-3;

    /// <summary>aglp / spa: where the new PETL file goes (default: beside the index, .petl.safetensors).</summary>
    public string? PetlOut { get; init; }

    /// <summary>probe and aglp: the split to fit or retrain on and the split to score on.</summary>
    public string FitSplit { get; init; } = "train800";

    public string ScoreSplit { get; init; } = "val200";
}

/// <summary>Stages <c>sls prune</c> reports progress for.</summary>
public enum PruneStage { Load, Features, Tsne, Scoring, Write }

/// <summary>Receives progress: a stage starts with a total, advances, and completes.</summary>
public interface IStageProgress
{
    void Start(PruneStage stage, string description, double total);

    void Advance(PruneStage stage, double value, string? detail = null);

    void Complete(PruneStage stage);
}

/// <summary>What <c>sls prune</c> produced.</summary>
/// <remarks><see cref="PetlPath"/>: the new PETL file of methods that change the adapters (aglp retrains them, spa masks them).</remarks>
public sealed record PruneResult(PruningIndex Index, string IndexPath, string? FeaturesPath, IReadOnlyList<string> Plots,
    IReadOnlyDictionary<string, double> Seconds, string Device, string? PetlPath = null);

/// <summary>The SLS pipeline: load the PETL model, one pass over the calibration split for every block's cls
/// token, t-SNE of all layers at once, the metric on each min-max scaled embedding, the policy, and the index.</summary>
public static class PruneRunner
{
    public static PruneResult Run(PruneOptions o, IStageProgress? progress = null, CancellationToken cancellationToken = default)
    {
        if (o.Method != PruneMethod.Sls) return Baselines.BaselineRunner.Run(o, progress, cancellationToken);
        var seconds = new Dictionary<string, double>();
        var clock = Stopwatch.StartNew();
        double Lap() { double s = clock.Elapsed.TotalSeconds; clock.Restart(); return s; }
        if (o.Model.Petl is null) throw new SlsInputException("--petl", "sls prune needs the PETL weights the task was tuned with");
        if (!(o.Alpha > 0)) throw new SlsInputException("--alpha", $"alpha must be positive (got {o.Alpha})");
        if (o.BatchSize <= 0) throw new SlsInputException("--batch-size", "must be positive");
        var device = DeviceSelector.Resolve(o.Device);

        progress?.Start(PruneStage.Load, "load model and calibration list", 3);
        var task = VtabTask.Open(o.Data);
        var loaded = PetlModelLoader.Load(o.Model, device);
        progress?.Advance(PruneStage.Load, 1);
        var items = task.Read(o.Split, loaded.Config.NumClasses);
        string list = Path.Combine(task.Root, o.Split + ".txt");
        int classes = items.Select(i => i.Label).Distinct().Count();
        if (classes < 2)
            throw new SlsInputException(list, $"calibration split has {classes} class; SLS scores how well layers separate classes and needs at least 2");
        if (items.Count - 1 < classes)
            throw new SlsInputException(list, $"calibration split has {items.Count} images for {classes} classes; the silhouette needs more images than classes");
        if (o.Perplexity >= items.Count)
            throw new SlsInputException(list, $"calibration split has {items.Count} images; t-SNE perplexity {o.Perplexity} must be less than that (use a larger split or --perplexity)");
        string backboneSha = InspectRunner.Sha256(o.Model.Backbone), petlSha = InspectRunner.Sha256(o.Model.Petl);
        progress?.Advance(PruneStage.Load, 3);
        progress?.Complete(PruneStage.Load);
        seconds["load"] = Lap();

        progress?.Start(PruneStage.Features, $"features ({items.Count} images, {loaded.Config.Depth} blocks)", items.Count);
        using var features = LayerFeatureExtractor.Extract(loaded.Model, items, Preprocessor.For(loaded.Config), o.BatchSize, device,
            new Callback<int>(n => progress?.Advance(PruneStage.Features, n)), cancellationToken);
        loaded.Model.Dispose();
        progress?.Complete(PruneStage.Features);
        seconds["features"] = Lap();
        string? featuresPath = null;
        if (o.FeaturesOut is not null)
        {
            features.Save(o.FeaturesOut, new Dictionary<string, string> { ["task"] = task.Name, ["split"] = o.Split });
            featuresPath = Path.GetFullPath(o.FeaturesOut);
        }

        var (scores, embeddings, tsneSettings) = Score(features, o.Metric, new TsneOptions { Perplexity = o.Perplexity, Seed = o.Seed }, device, progress);
        seconds["tsne_and_scoring"] = Lap();

        var decision = SlsPolicy.Decide(scores, o.Alpha, o.Metric);
        progress?.Start(PruneStage.Write, "write index", 1);
        var index = new PruningIndex
        {
            Metric = ClusterMetrics.Name(o.Metric),
            Alpha = o.Alpha,
            Threshold = decision.Guarded ? null : decision.Threshold,
            Depth = decision.Depth,
            KeptBlocks = Enumerable.Range(1, decision.KeptBlocks).ToArray(),
            Scores = scores,
            Decision = decision.Reason,
            Calibration = new CalibrationInfo(task.Name, o.Split, items.Count, classes, o.Seed, o.Model.Precision.Name()),
            Tsne = tsneSettings,
            Backbone = new FileFingerprint(Path.GetFullPath(o.Model.Backbone), backboneSha),
            Petl = new FileFingerprint(Path.GetFullPath(o.Model.Petl), petlSha),
            Tool = Tool,
            Created = DateTimeOffset.UtcNow,
            MethodSeconds = seconds["features"] + seconds["tsne_and_scoring"],
        };
        index.Save(o.Out);
        var plots = o.PlotsDir is null ? [] : PrunePlots.Write(o.PlotsDir, embeddings, features.Labels, scores, decision);
        foreach (var e in embeddings) e.Dispose();
        progress?.Advance(PruneStage.Write, 1);
        progress?.Complete(PruneStage.Write);
        seconds["write"] = Lap();
        return new PruneResult(index, Path.GetFullPath(o.Out), featuresPath, plots, seconds, device.ToString());
    }

    public static string Tool => $"sls {typeof(PruneRunner).Assembly.GetName().Version}";

    /// <summary>The FEM: t-SNE of every layer (batched), min-max scaling per axis, then the metric.</summary>
    public static (double[] Scores, IReadOnlyList<torch.Tensor> Embeddings, TsneSettings Settings) Score(LayerFeatureSet features, ClusterMetric metric,
        TsneOptions tsne, torch.Device device, IStageProgress? progress = null)
    {
        progress?.Start(PruneStage.Tsne, $"t-SNE ({features.Layers} layers x {features.Count} points)", tsne.MaxIter);
        IReadOnlyList<TsneResult> results;
        using (var onDevice = features.Features.to(device))
        {
            try
            {
                results = TsneEmbedder.Fit(onDevice, tsne, new Callback<int>(i => progress?.Advance(PruneStage.Tsne, i, $"iteration {i}")));
            }
            catch (ArgumentException e)
            {
                throw new SlsInputException("--perplexity", e.Message);
            }
        }
        progress?.Complete(PruneStage.Tsne);
        progress?.Start(PruneStage.Scoring, $"{ClusterMetrics.Name(metric)} per layer", features.Layers);
        var scores = new double[features.Layers];
        var embeddings = new List<torch.Tensor>();
        for (int l = 0; l < features.Layers; l++)
        {
            var y = results[l].Embedding;
            var scaled = MinMaxScale(y);
            y.Dispose();
            scores[l] = ClusterMetrics.Score(metric, scaled, features.Labels);
            embeddings.Add(scaled);
            progress?.Advance(PruneStage.Scoring, l + 1, $"layer {l + 1}: {scores[l]:F4}");
        }
        progress?.Complete(PruneStage.Scoring);
        var settings = new TsneSettings(2, tsne.Perplexity, tsne.EarlyExaggeration, tsne.LearningRate?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "auto",
            tsne.MaxIter, tsne.Init, "exact gradient, neighbour-based P (as sklearn barnes_hut)");
        return (scores, embeddings, settings);
    }

    /// <summary>sklearn's MinMaxScaler: each axis to [0, 1] (a constant axis maps to 0).</summary>
    public static torch.Tensor MinMaxScale(torch.Tensor y)
    {
        using var scope = torch.NewDisposeScope();
        var min = y.amin([0], keepdim: true);
        var range = y.amax([0], keepdim: true) - min;
        range = torch.where(range.eq(0), torch.ones_like(range), range);
        return ((y - min) / range).MoveToOuterDisposeScope();
    }
}
