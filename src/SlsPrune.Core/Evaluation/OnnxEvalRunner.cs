using System.Diagnostics;
using System.Globalization;
using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.IO;
using SlsPrune.Core.Models;
using TorchSharp;

namespace SlsPrune.Core.Evaluation;

/// <summary>Options of <c>sls eval --engine onnxruntime</c>: an exported ONNX file and a task; the defaults are
/// <c>sls eval</c>'s (<see cref="EvalOptions"/>, <see cref="ModelOptions"/>).</summary>
public sealed record OnnxEvalOptions(string Model, string Data, string Split = SplitNames.Test, int BatchSize = ModelOptions.DefaultBatchSize,
    bool Throughput = false,
    int Repeats = EvalOptions.DefaultRepeats, IReadOnlyList<int>? ThroughputBatches = null, string? Plots = null)
{
    /// <summary>Every setting at its default (file and data empty; what a null stands for filled in).</summary>
    public static readonly OnnxEvalOptions Defaults = new("", "", ThroughputBatches: EvalOptions.DefaultThroughputBatches);

    /// <summary>How <see cref="Data"/> is read.</summary>
    public DataOptions DataOptions { get; init; } = DataOptions.Defaults;

    /// <summary>Evaluate on data whose classes differ from the ones the file records (<c>--allow-class-mismatch</c>).</summary>
    public bool AllowClassMismatch { get; init; }
}

/// <summary>
/// <c>sls eval</c> with ONNX Runtime as the engine: the same accuracy over a split and the same throughput
/// measurement as <see cref="EvalRunner"/> (median of timed runs after warm-up, random input), on an ONNX file
/// written by <c>sls export</c>; blocks, parameters and FLOPs come from the file's metadata.
/// </summary>
public static class OnnxEvalRunner
{
    public static EvalResult Run(OnnxEvalOptions o, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        if (o.BatchSize <= 0) throw new SlsInputException("--batch-size", "must be positive");
        var batches = o.ThroughputBatches ?? EvalOptions.DefaultThroughputBatches;
        if (batches.Count == 0) throw new SlsInputException("--throughput-batches", "needs one or more batch sizes");
        foreach (int b in batches) ActivationBudget.CheckTimedBatch(b, "--throughput-batches");
        if (o.Plots is not null) OutputPath.CheckFolder(o.Plots, "--plots", false, o.Model, o.Data);
        var task = DataLayouts.Open(o.Data, o.DataOptions);
        o = o with { Split = DataLayouts.Split(task, o.Split, o.DataOptions) };
        using var model = OnnxRuntimeModel.Open(o.Model);
        // the graph's activations are not known here: one image's are taken as 16 times its float32 input, about a ViT block's
        // ratio (ViT-S/16 at 224 px: 13; the shipped ViT at 32 px: 14)
        long perImage = 16L * 4 * model.Input.Channels * model.Input.ImageSize * model.Input.ImageSize;
        ActivationBudget.CheckInput(model.Input.Channels, model.Input.ImageSize, o.BatchSize, "--batch-size");
        if (o.Throughput)
            foreach (int b in batches)
            {
                ActivationBudget.CheckInput(model.Input.Channels, model.Input.ImageSize, b, "--throughput-batches");
                ActivationBudget.Check(perImage, model.Input.ImageSize, b, "--throughput-batches");
            }
        // what the file records of the model it was exported from, each a count: never negative
        long Meta(string key, long most = long.MaxValue) => !model.Metadata.TryGetValue(key, out var v) ? 0
            : long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out long x) && x <= most ? x
            : throw new SlsInputException(o.Model, $"metadata '{key}' {Printable.Escape(v)} is not a count (a whole number from 0"
                + (most < long.MaxValue ? $" to {most})" : ")"));
        int blocks = (int)Meta("blocks", StateDictFile.MaxBlocks), depth = (int)Meta("source_depth", StateDictFile.MaxBlocks);
        var counts = new ParameterCounts(Meta("parameters_backbone"), Meta("parameters_petl"), Meta("parameters_head"));
        long flops = Meta("flops");
        var items = task.Read(o.Split, model.NumClasses);
        InputSizeCheck.CheckExported(model.Input.ImageSize, model.Metadata.GetValueOrDefault("image_size_from"), o.Model, items);
        if (!o.AllowClassMismatch) TaskClasses.Check(new TaskClasses.Head(model.NumClasses, model.ClassNames, o.Model, FromBackbone: false), task,
            items);
        var confusion = Accuracy.Confusion(model.Forward, items, Preprocessor.For(model.Input), o.BatchSize, model.NumClasses, progress,
            cancellationToken);
        int correct = confusion.Select((row, c) => row[c]).Sum(), seen = confusion.Sum(row => row.Sum());

        var throughput = o.Throughput ? batches.Select(b => Measure(model, b, o.Repeats, cancellationToken)).ToArray() : null;
        var storage = new StorageReport(0, 0, new FileInfo(o.Model).Length);
        string precision = model.Metadata.TryGetValue("precision", out var p) ? p : "fp32";
        var result = new EvalResult(task.Name, o.Split, seen, correct, seen == 0 ? 0 : (double)correct / seen, depth, blocks, blocks < depth,
            counts, flops, storage, throughput, "cpu (onnxruntime)", precision, ClassAccuracy.Of(confusion), task.ClassNames)
        { Confusion = confusion };
        return o.Plots is null ? result : result with { Plots = EvalPlots.Write(o.Plots, result) };
    }

    private static ThroughputResult Measure(OnnxRuntimeModel model, int batch, int repeats, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        using var x = torch.randn(batch, model.Input.Channels, model.Input.ImageSize, model.Input.ImageSize);
        for (int i = 0; i < 3; i++) model.Forward(x).Dispose();
        var times = new List<double>();
        for (int i = 0; i < Math.Max(1, repeats); i++)
        {
            ct.ThrowIfCancellationRequested();
            var sw = Stopwatch.StartNew();
            model.Forward(x).Dispose();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        return ThroughputResult.Of(batch, times);
    }
}
