using System.Diagnostics;
using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Indexing;
using SlsPrune.Core.IO;
using SlsPrune.Core.Models;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Runtime;
using TorchSharp;

namespace SlsPrune.Core.Evaluation;

/// <summary>Options of <c>sls eval</c>; <see cref="ThroughputBatches"/> null: <see cref="DefaultThroughputBatches"/>.</summary>
public sealed record EvalOptions(ModelOptions Model, string Data, string? Index = null, string Split = SplitNames.Test, bool Throughput = false,
    bool AllowMismatch = false, int Repeats = EvalOptions.DefaultRepeats, IReadOnlyList<int>? ThroughputBatches = null, string? Plots = null)
{
    /// <summary>The batch sizes throughput is measured at where none are given: 1 (latency) and 64.</summary>
    public static readonly IReadOnlyList<int> DefaultThroughputBatches = [1, 64];

    /// <summary>Timed forward passes per batch size where none is given (the median is reported).</summary>
    public const int DefaultRepeats = 5;

    /// <summary>Every setting at its default (model and data empty; what a null stands for filled in): the one place
    /// the command line's options and a batch manifest read them from.</summary>
    public static readonly EvalOptions Defaults = new(ModelOptions.Defaults, "", ThroughputBatches: DefaultThroughputBatches);

    /// <summary>How <see cref="Data"/> is read (CSV columns, EXIF orientation, where the layout is said).</summary>
    public DataOptions DataOptions { get; init; } = DataOptions.Defaults;

    /// <summary>Receives one line per thing the user should know that does not stop the run (an assumed input size).</summary>
    public Action<string>? Warn { get; init; }
}

/// <summary>Model-only speed at one batch size: median over repeats after warm-up. <see cref="Spread"/>: the repeats'
/// range relative to their median ((slowest - fastest) / median), the measurement's own noise band; a speed-up within
/// it is not one (batch reports flag it).</summary>
public sealed record ThroughputResult(int BatchSize, double ImagesPerSecond, double MedianLatencyMs, int Repeats, double? Spread = null)
{
    /// <summary>The repeats' times (seconds), in any order, as one result.</summary>
    public static ThroughputResult Of(int batch, List<double> times)
    {
        times.Sort();
        double median = times[times.Count / 2];
        return new ThroughputResult(batch, batch / median, median * 1000, times.Count, median > 0 ? (times[^1] - times[0]) / median : null);
    }
}

/// <summary>Bytes a task costs to store: the PETL file and the index; the backbone is shared by every task.</summary>
public sealed record StorageReport(long PetlBytes, long IndexBytes, long BackboneBytes)
{
    /// <summary>What one more task adds to storage, in bytes: the PETL file plus the index (the backbone is shared).</summary>
    public long PerTaskBytes => PetlBytes + IndexBytes;
}

/// <summary>What <c>sls eval</c> measured. <see cref="PerClass"/>: images, correct and top-1 per true class;
/// <see cref="Confusion"/> (<c>[true][predicted]</c>) stays out of the JSON (it grows with the square of the classes);
/// <see cref="Plots"/>: the figures <c>--plots</c> wrote.</summary>
public sealed record EvalResult(string Task, string Split, int Images, int Correct, double Top1, int Depth, int Blocks, bool Pruned,
    ParameterCounts Parameters, long FlopsPerImage, StorageReport Storage, IReadOnlyList<ThroughputResult>? Throughput, string Device,
    string Precision, IReadOnlyList<ClassAccuracy>? PerClass = null, IReadOnlyList<string>? ClassNames = null)
{
    /// <summary>The confusion matrix, <c>Confusion[true][predicted]</c> image counts over the task's classes; null where
    /// not computed. Not serialised (it grows with the square of the classes).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<IReadOnlyList<int>>? Confusion { get; init; }

    /// <summary>The paths of the figures written for <see cref="EvalOptions.Plots"/> (PNG and SVG); null when none were asked for.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Plots { get; init; }

    /// <summary>The input size the model ran at and where it came from (<c>checkpoint</c>, <c>option</c>, <c>assumed</c>).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public InputSizeOrigin? Input { get; init; }
}

/// <summary>Top-1 accuracy of the full or pruned (<c>--index</c>) model on a split, with parameters, FLOPs,
/// storage and optionally throughput. Without a PETL file the backbone's own head classifies (a checkpoint
/// fine-tuned on the task, torchvision's or Hugging Face's with their classifier).</summary>
public static class EvalRunner
{
    /// <summary>Builds the full model, or the pruned one where <see cref="EvalOptions.Index"/> is given (its fingerprints
    /// checked against the files), and measures top-1 accuracy on <see cref="EvalOptions.Split"/> of
    /// <see cref="EvalOptions.Data"/>, with parameters, FLOPs per image, storage and, where asked, throughput.
    /// <paramref name="progress"/> receives the number of images evaluated so far.</summary>
    /// <exception cref="SlsInputException">naming the file or option at fault: a missing or unreadable checkpoint, PETL
    /// file, index or data folder, an index written for other files (unless <see cref="EvalOptions.AllowMismatch"/>), a
    /// non-positive batch size, or a task whose classes the head does not have.</exception>
    /// <exception cref="OperationCanceledException">when <paramref name="cancellationToken"/> is cancelled (checked before every batch).</exception>
    public static EvalResult Run(EvalOptions o, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        if (o.Model.BatchSize <= 0) throw new SlsInputException("--batch-size", "must be positive");
        var batches = o.ThroughputBatches ?? EvalOptions.DefaultThroughputBatches;
        if (batches.Count == 0) throw new SlsInputException("--throughput-batches", "needs one or more batch sizes");
        foreach (int b in batches) ActivationBudget.CheckTimedBatch(b, "--throughput-batches");
        if (o.Plots is not null) OutputPath.CheckFolder(o.Plots, "--plots", false, o.Model.Backbone, o.Model.Petl, o.Data, o.Index);
        var device = DeviceSelector.Resolve(o.Model.Device);
        var task = DataLayouts.Open(o.Data, o.DataOptions);
        o = o with { Split = DataLayouts.Split(task, o.Split, o.DataOptions) };
        var index = o.Index is null ? null : PruningIndex.Load(o.Index);
        index?.RequirePetl(o.Index!, o.Model.Petl, o.AllowMismatch);
        using var built = ModelFactory.Build(o.Model, device, index?.ToPlan(), o.Index, index?.Fingerprints(o.Index!, o.AllowMismatch));
        var model = built.Model;
        if (o.Throughput) foreach (int b in batches) ActivationBudget.Check(model, b, "--throughput-batches");
        if (model.NumClasses == 0)
            throw new SlsInputException(o.Model.Backbone, "has no classification head; give the task's PETL file (--petl), which carries one");
        var items = task.Read(o.Split, model.NumClasses);
        TaskClasses.Check(built, o.Model, task, items, index is null ? null : (index.ClassNames, o.Index!), o.Warn);
        InputSizeCheck.Check(built, o.Model.Backbone, items, o.Warn, index?.Input, o.Index);

        var confusion = Accuracy.Confusion(model, items, Preprocessor.For(model.Input), o.Model.BatchSize, device, progress, cancellationToken);
        int correct = confusion.Select((row, c) => row[c]).Sum(), seen = confusion.Sum(row => row.Sum());

        var counts = ParameterCounts.Of(model);
        var storage = new StorageReport(o.Model.Petl is null ? 0 : CheckpointSource.ResolvePetl(o.Model.Petl).Bytes, o.Index is null ? 0
            : new FileInfo(o.Index).Length, CheckpointSource.Resolve(o.Model.Backbone).Bytes);
        var throughput = o.Throughput ? batches.Select(b => Measure(model, b, o.Repeats, device, cancellationToken)).ToArray() : null;
        var result = new EvalResult(task.Name, o.Split, seen, correct, seen == 0 ? 0 : (double)correct / seen, built.FullDepth, model.Depth,
            o.Index is not null,
            counts, model.FlopsPerImage(), storage, throughput, device.ToString(), o.Model.Precision.Name(), ClassAccuracy.Of(confusion),
                task.ClassNames ?? built.ClassNames)
        { Confusion = confusion, Input = built.InputOrigin };
        return o.Plots is null ? result : result with { Plots = EvalPlots.Write(o.Plots, result) };
    }

    private static ThroughputResult Measure(Backbone model, int batch, int repeats, torch.Device device, CancellationToken ct)
    {
        using var _ = torch.no_grad();
        ct.ThrowIfCancellationRequested();
        using var x = torch.randn(batch, model.Input.Channels, model.Input.ImageSize, model.Input.ImageSize).to(device);
        for (int i = 0; i < 3; i++) { using var s = torch.NewDisposeScope(); model.forward(x); }
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
        var times = new List<double>();
        for (int i = 0; i < Math.Max(1, repeats); i++)
        {
            ct.ThrowIfCancellationRequested();
            using var s = torch.NewDisposeScope();
            var sw = Stopwatch.StartNew();
            model.forward(x);
            if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        return ThroughputResult.Of(batch, times);
    }
}
