using System.Diagnostics;
using SlsPrune.Core.Data;
using SlsPrune.Core.Indexing;
using SlsPrune.Core.Models;
using SlsPrune.Core.Runtime;

namespace SlsPrune.Core.Pruning;

/// <summary>What <c>sls prune</c> produced.</summary>
/// <remarks><see cref="PetlPath"/>: the new PETL file of methods that change the adapters (aglp retrains them, spa masks them).</remarks>
public sealed record PruneResult(PruningIndex Index, string IndexPath, string? FeaturesPath, IReadOnlyList<string> Plots,
    IReadOnlyDictionary<string, double> Seconds, string Device, string? PetlPath = null, IReadOnlyList<string>? MoreIndexPaths = null);

/// <summary><c>sls prune</c> for any method: builds the context once (task, calibration split, model, device,
/// fingerprints), runs the method, and writes the index (atomically, last, so an interrupted run leaves an earlier
/// index as it was).</summary>
public static class PruneRunner
{
    public static string Tool => $"sls {typeof(PruneRunner).Assembly.GetName().Version}";

    public static PruneResult Run(PruneOptions o, IStageProgress? progress = null, CancellationToken cancellationToken = default)
    {
        if (o.Model.Petl is null) throw new SlsInputException("--petl", "pruning needs the PETL weights the task was tuned with");
        if (o.Model.BatchSize <= 0) throw new SlsInputException("--batch-size", "must be positive");
        OutputPath.CheckFile(o.Out, "--out", o.Model.Backbone, o.Model.Petl, o.Data);
        var seconds = new Dictionary<string, double>();
        var clock = Stopwatch.StartNew();
        double Lap() { double s = clock.Elapsed.TotalSeconds; clock.Restart(); return s; }
        var device = DeviceSelector.Resolve(o.Model.Device);

        progress?.Start(PruneStage.Load, "load model and calibration list", 3);
        var task = VtabTask.Open(o.Data);
        using var model = ModelFactory.Build(o.Model, device);
        progress?.Advance(PruneStage.Load, 1);
        var items = task.Read(o.Split, model.Model.NumClasses);
        int classes = items.Select(i => i.Label).Distinct().Count();
        var index = new PruningIndex
        {
            Method = o.Method.Name,
            Metric = "",
            Alpha = Sls.SlsPolicy.DefaultAlpha, // methods without an alpha rule record the default
            Depth = model.FullDepth,
            KeptBlocks = Enumerable.Range(1, model.FullDepth).ToArray(),
            Decision = "",
            Calibration = new CalibrationInfo(task.Name, o.Split, items.Count, classes, o.Seed, o.Model.Precision.Name(), model.Model.FeatureKind),
            Backbone = model.BackboneFile,
            Petl = model.PetlFile!,
            Tool = Tool,
            Created = DateTimeOffset.UtcNow,
        };
        progress?.Advance(PruneStage.Load, 3);
        progress?.Complete(PruneStage.Load);
        seconds["load"] = Lap();

        var output = o.Method.Run(new PruneContext(o, task, items, model, device, index, progress, cancellationToken), o.MethodOptions);
        seconds["method"] = Lap();
        cancellationToken.ThrowIfCancellationRequested();
        progress?.Start(PruneStage.Write, "write index", 1);
        var written = output.Index with { MethodSeconds = seconds["method"], Created = DateTimeOffset.UtcNow };
        written.Save(o.Out);
        var more = new List<string>();
        foreach (var (path, extra) in output.More ?? [])
        {
            OutputPath.CheckFile(path, "--out", o.Model.Backbone, o.Model.Petl, o.Data);
            (extra with { MethodSeconds = seconds["method"], Created = written.Created }).Save(path);
            more.Add(Path.GetFullPath(path));
        }
        progress?.Advance(PruneStage.Write, 1);
        progress?.Complete(PruneStage.Write);
        seconds["write"] = Lap();
        return new PruneResult(written, Path.GetFullPath(o.Out), output.FeaturesPath, output.Plots ?? [], seconds, device.ToString(), output.PetlPath,
            more.Count == 0 ? null : more);
    }
}
