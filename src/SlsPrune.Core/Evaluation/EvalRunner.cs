using System.Diagnostics;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Inspection;
using SlsPrune.Core.Models;
using SlsPrune.Core.Pruning;
using SlsPrune.Core.Runtime;
using TorchSharp;

namespace SlsPrune.Core.Evaluation;

/// <summary>Options of <c>sls eval</c>.</summary>
public sealed record EvalOptions(ModelOptions Model, string Data, string? Index = null, string Split = "test", bool Throughput = false,
    string Device = "auto", int BatchSize = 64, bool AllowMismatch = false, int Repeats = 5, IReadOnlyList<int>? ThroughputBatches = null)
{
    public static readonly IReadOnlyList<int> DefaultThroughputBatches = [1, 64];
}

/// <summary>Model-only speed at one batch size: median over repeats after warm-up.</summary>
public sealed record ThroughputResult(int BatchSize, double ImagesPerSecond, double MedianLatencyMs, int Repeats);

/// <summary>Bytes a task costs to store: the PETL file and the index; the backbone is shared by every task.</summary>
public sealed record StorageReport(long PetlBytes, long IndexBytes, long BackboneBytes)
{
    public long PerTaskBytes => PetlBytes + IndexBytes;
}

/// <summary>What <c>sls eval</c> measured.</summary>
public sealed record EvalResult(string Task, string Split, int Images, int Correct, double Top1, int Depth, int Blocks, bool Pruned,
    ParameterCounts Parameters, long FlopsPerImage, StorageReport Storage, IReadOnlyList<ThroughputResult>? Throughput, string Device,
    string Precision);

/// <summary>Top-1 accuracy of the full or pruned (<c>--index</c>) model on a split, with parameters, FLOPs,
/// storage and optionally throughput.</summary>
public static class EvalRunner
{
    public static EvalResult Run(EvalOptions o, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        if (o.BatchSize <= 0) throw new SlsInputException("--batch-size", "must be positive");
        var batches = o.ThroughputBatches ?? EvalOptions.DefaultThroughputBatches;
        if (batches.Count == 0 || batches.Any(b => b <= 0)) throw new SlsInputException("--throughput-batches", "needs one or more positive batch sizes");
        var device = DeviceSelector.Resolve(o.Device);
        var task = VtabTask.Open(o.Data);
        LoadedModel loaded;
        int depth;
        if (o.Index is not null)
        {
            (loaded, var index) = PrunedModelLoader.Load(o.Model, o.Index, device, o.AllowMismatch);
            depth = index.Depth;
        }
        else
        {
            loaded = PetlModelLoader.Load(o.Model, device);
            depth = loaded.Config.Depth;
        }
        using var model = loaded.Model;
        var items = task.Read(o.Split, loaded.Config.NumClasses);

        var (correct, seen) = Accuracy.Count(model, items, Preprocessor.For(loaded.Config), o.BatchSize, device, progress, cancellationToken);

        long backbone = 0, petl = 0, head = 0;
        foreach (var (name, p) in model.named_parameters())
        {
            long count = p.numel();
            if (name.StartsWith("head.", StringComparison.Ordinal)) head += count;
            else if (Models.Petl.PetlSettings.IsPetlParameter(name)) petl += count;
            else backbone += count;
        }
        var storage = new StorageReport(new FileInfo(o.Model.Petl!).Length, o.Index is null ? 0 : new FileInfo(o.Index).Length, new FileInfo(o.Model.Backbone).Length);
        var throughput = o.Throughput ? batches.Select(b => Measure(model, loaded.Config, b, o.Repeats, device)).ToArray() : null;
        return new EvalResult(task.Name, o.Split, seen, correct, seen == 0 ? 0 : (double)correct / seen, depth, loaded.Config.Depth, o.Index is not null,
            new ParameterCounts(backbone, petl, head), FlopCounter.PerImage(loaded.Config, loaded.Petl, loaded.Merged, loaded.Model.Widths), storage, throughput, device.ToString(),
            o.Model.Precision.Name());
    }

    private static ThroughputResult Measure(Models.Vit.VisionTransformer model, Models.Vit.VitConfig config, int batch, int repeats, torch.Device device)
    {
        using var _ = torch.no_grad();
        using var x = torch.randn(batch, config.InChannels, config.ImageSize, config.ImageSize).to(device);
        for (int i = 0; i < 3; i++) { using var s = torch.NewDisposeScope(); model.forward(x); }
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
        var times = new List<double>();
        for (int i = 0; i < Math.Max(1, repeats); i++)
        {
            using var s = torch.NewDisposeScope();
            var sw = Stopwatch.StartNew();
            model.forward(x);
            if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        times.Sort();
        double median = times[times.Count / 2];
        return new ThroughputResult(batch, batch / median, median * 1000, times.Count);
    }
}
