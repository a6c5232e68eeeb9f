using System.Diagnostics;
using SlsPrune.Core.Data;
using SlsPrune.Core.Indexing;
using SlsPrune.Core.IO;
using SlsPrune.Core.Models;
using SlsPrune.Core.Runtime;

namespace SlsPrune.Core.Pruning;

/// <summary>What <c>sls prune</c> produced.</summary>
/// <remarks><see cref="PetlPath"/>: the new PETL file of methods that change the adapters (aglp retrains them, spa masks them).</remarks>
public sealed record PruneResult(PruningIndex Index, string IndexPath, string? FeaturesPath, IReadOnlyList<string> Plots,
    IReadOnlyDictionary<string, double> Seconds, string Device, string? PetlPath = null, IReadOnlyList<string>? MoreIndexPaths = null)
{
    /// <summary>The list of calibration images written beside the index, if one was.</summary>
    public string? CalibrationList { get; init; }
}

/// <summary><c>sls prune</c> for any method: builds the context once (task, calibration split, model, device,
/// fingerprints), runs the method, and writes the index (atomically, last, so an interrupted run leaves an earlier
/// index as it was).</summary>
public static class PruneRunner
{
    /// <summary>What an index's <c>tool</c> field records: <c>sls</c> and the library's version.</summary>
    public static string Tool => SlsVersion.Tool;

    /// <summary>Prunes with <see cref="PruneOptions.Method"/>: validates the method's options, checks every output path
    /// against the inputs, opens the data and draws the calibration split (seeded), builds the full model once, runs the
    /// method and writes the index to <see cref="PruneOptions.Out"/> atomically, last (with the method's other outputs).
    /// <paramref name="progress"/> receives each stage and its per-item progress (null: none).</summary>
    /// <returns>The index written (also held in memory), its path and the method's other outputs and stage times.</returns>
    /// <exception cref="SlsInputException">naming the option or file at fault, before any model is read where it can be:
    /// invalid options, an output that would overwrite an input, a missing or unreadable checkpoint, PETL file or data
    /// folder, a split too small for the calibration asked for.</exception>
    /// <exception cref="OperationCanceledException">when <paramref name="cancellationToken"/> is cancelled; no index is written
    /// and an earlier one at the path is left as it was.</exception>
    public static PruneResult Run(PruneOptions o, IStageProgress? progress = null, CancellationToken cancellationToken = default)
    {
        if (o.Model.BatchSize <= 0) throw new SlsInputException("--batch-size", "must be positive");
        CheckBudget(o);
        o.Method.Validate(o.MethodOptions, o.Budget);
        CheckOutputs(o);
        var seconds = new Dictionary<string, double>();
        var clock = Stopwatch.StartNew();
        double Lap() { double s = clock.Elapsed.TotalSeconds; clock.Restart(); return s; }
        var device = DeviceSelector.Resolve(o.Model.Device);

        progress?.Start(PruneStage.Load, "load model and calibration list", 3);
        if (o.Calibration is not null && o.CalibrationPerClass is not null)
            throw new SlsInputException("--calibration", "give --calibration or --calibration-per-class, not both");
        if (o.Calibration is <= 0) throw new SlsInputException("--calibration", "must be positive");
        if (o.CalibrationPerClass is <= 0) throw new SlsInputException("--calibration-per-class", "must be positive");
        var task = DataLayouts.Open(o.Data, o.DataOptions);
        o = o with { Split = DataLayouts.Split(task, o.Split, o.DataOptions) };
        using var model = ModelFactory.Build(o.Model, device);
        if (model.Model.NumClasses == 0)
            throw new SlsInputException(o.Model.Backbone, "has no classification head; give the task's PETL file (--petl), which carries one");
        progress?.Advance(PruneStage.Load, 1);
        var items = task.Read(o.Split, model.Model.NumClasses);
        // every warning goes into the index too, so the file says what stderr said
        var warnings = new List<string>();
        void Warn(string line)
        {
            warnings.Add(line);
            progress?.Warn(line);
        }
        TaskClasses.Check(model, o.Model, task, items, warn: Warn);
        InputSizeCheck.Check(model, o.Model.Backbone, items, Warn);
        string? sampled = null;
        if (o.Calibration is not null || o.CalibrationPerClass is not null)
        {
            items = Stratified.Sample(items, o.Calibration, o.CalibrationPerClass, o.Seed);
            sampled = o.Calibration is int n ? $"{n} stratified, seed {o.Seed}" : $"{o.CalibrationPerClass} per class, seed {o.Seed}";
            o.DataOptions.Report?.Invoke($"calibration: {items.Count} images of split '{o.Split}' ({sampled})");
        }
        var taskFiles = TaskFiles.RealPaths(task); // read once, and only where an output exists already
        foreach (var target in Outputs(o))
        {
            if (!target.Folder) OutputPath.CheckNotAmong(target.Path, target.Option, taskFiles);
            // a figures folder's figures replace whatever PNG or SVG files of those names are there: none may be one of the task's
            else if (Directory.Exists(target.Path))
                foreach (var figure in Directory.EnumerateFiles(target.Path).Where(f => Sls.PrunePlots.IsFigure(Path.GetFileName(f))).Take(10_000))
                    OutputPath.CheckNotAmong(figure, target.Option, taskFiles);
        }
        string? listPath = WritesList(o, task.Layout) ? CalibrationListPath(o.Out) : null;
        int classes = items.Select(i => i.Label).Distinct().Count();
        var index = new PruningIndex
        {
            Method = o.Method.Name,
            Metric = "",
            Depth = model.FullDepth,
            KeptBlocks = Enumerable.Range(1, model.FullDepth).ToArray(),
            Decision = "",
            Calibration = new CalibrationInfo(task.Name, o.Split, items.Count, classes, o.Seed, o.Model.Precision.Name(), model.Model.FeatureKind,
                task.Layout, task.Folder, listPath is null ? null : Path.GetFileName(listPath), sampled),
            ClassNames = task.ClassNames ?? model.ClassNames,
            Input = model.InputOrigin,
            Backbone = model.BackboneFile,
            Petl = model.PetlFile,
            Tool = Tool,
            Created = DateTimeOffset.UtcNow,
        };
        progress?.Advance(PruneStage.Load, 3);
        progress?.Complete(PruneStage.Load);
        seconds["load"] = Lap();

        foreach (var warning in o.Method.Warnings(o.MethodOptions, items.Count)) Warn(warning);
        Budgets.CostTable? costs = null;
        if (o.Budget is { } budget)
        {
            progress?.Start(PruneStage.Costs, budget.Kind.Measured ? $"cost of every depth (latency at batch {o.LatencyBatch}, "
                + $"{Budgets.CostTable.Repeats} repeats)" : "cost of every depth", 1);
            if (budget.Kind.Measured) ActivationBudget.Check(model.Model, o.LatencyBatch, "--latency-batch");
            costs = budget.Kind.Measured ? Budgets.CostTable.Measured(model.Model, o.LatencyBatch, device, cancellationToken)
                : Budgets.CostTable.Analytic(model.Model);
            if (o.Method.BudgetCutsDepth) Budgets.BudgetPolicy.Fitting(budget, costs);
            if (costs.Warning is { } noisy) Warn(noisy);
            progress?.Complete(PruneStage.Costs);
            seconds["costs"] = Lap();
        }
        var output = o.Method.Run(new PruneContext(o, task, items, model, device, index, progress, cancellationToken, costs), o.MethodOptions);
        if (o.Budget is not null && output.Index.Budget is null)
            throw new InvalidOperationException($"method '{o.Method.Name}' takes --budget {o.Budget.Kind.Name} but recorded no budget in its index");
        seconds["method"] = Lap();
        cancellationToken.ThrowIfCancellationRequested();
        progress?.Start(PruneStage.Write, "write index", 1);
        var said = warnings.Count == 0 ? null : warnings;
        var written = output.Index with { MethodSeconds = seconds["method"], Created = DateTimeOffset.UtcNow, Warnings = said };
        if (listPath is not null) WriteList(listPath, task.Folder, items);
        written.Save(o.Out);
        var more = new List<string>();
        foreach (var (path, extra) in output.More ?? [])
        {
            (extra with { MethodSeconds = seconds["method"], Created = written.Created, Warnings = said }).Save(path);
            more.Add(Path.GetFullPath(path));
        }
        progress?.Advance(PruneStage.Write, 1);
        progress?.Complete(PruneStage.Write);
        seconds["write"] = Lap();
        return new PruneResult(written, Path.GetFullPath(o.Out), output.FeaturesPath, output.Plots ?? [], seconds, device.ToString(), output.PetlPath,
            more.Count == 0 ? null : more)
        { CalibrationList = listPath };
    }

    /// <summary>Refuses, before any work, a budget the method does not take, or a latency batch outside
    /// 1..<see cref="ActivationBudget.MaxTimedBatch"/>.</summary>
    public static void CheckBudget(PruneOptions o)
    {
        ActivationBudget.CheckTimedBatch(o.LatencyBatch, "--latency-batch");
        if (o.Budget is not { } budget) return;
        var kinds = o.Method.BudgetKinds;
        if (!kinds.Contains(budget.Kind.Name, StringComparer.Ordinal))
            throw new SlsInputException("--budget", kinds.Count == 0 ? $"method {o.Method.Name} takes no budget (methods that do: "
                + $"{string.Join(", ", PruneMethods.All.Where(m => m.BudgetKinds.Count > 0).Select(m => m.Name))})"
                : $"method {o.Method.Name} takes a budget of {string.Join(" or ", kinds)}, not {budget.Kind.Name}");
    }

    /// <summary>Every file and folder the run writes: the index, the list of calibration images beside it where one is written
    /// (<see cref="WritesList"/>), and the method's own outputs.</summary>
    public static IEnumerable<OutputTarget> Outputs(PruneOptions o) =>
        new[] { new OutputTarget(o.Out, "--out") }
            .Concat(WritesList(o, DataLayouts.Detect(o.Data)?.Name) ? [new OutputTarget(CalibrationListPath(o.Out), "--out")] : [])
            .Concat(o.Method.Outputs(o, o.MethodOptions));

    /// <summary>Whether the run writes the list of its calibration images: where it sampled them, or where the data is not a
    /// VTAB-1k folder (whose split list already says which images; <paramref name="layout"/>: the data's).</summary>
    private static bool WritesList(PruneOptions o, string? layout) =>
        o.Calibration is not null || o.CalibrationPerClass is not null || layout != "vtab";

    /// <summary>Refuses, before any work, an output that is an input, lies in an input folder, is not a regular file
    /// (or folder) or cannot be written.</summary>
    public static void CheckOutputs(PruneOptions o)
    {
        string?[] inputs = [o.Model.Backbone, o.Model.Petl, o.Data, .. o.Method.Inputs(o.MethodOptions)];
        var outputs = Outputs(o).ToList();
        foreach (var target in outputs) target.Check(inputs);
        OutputPath.CheckDistinct(outputs);
    }

    /// <summary>Where the list of calibration images goes: beside the index, <c>NAME.calibration.txt</c>.</summary>
    public static string CalibrationListPath(string indexOut)
    {
        string full = Path.GetFullPath(indexOut);
        string name = Path.GetFileName(full);
        foreach (var ext in new[] { ".sls.json", ".json" })
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) { name = name[..^ext.Length]; break; }
        return Path.Combine(Path.GetDirectoryName(full)!, name + ".calibration.txt");
    }

    /// <summary>The images used, one <c>relative/path label</c> line each (a VTAB-1k split list), atomically.</summary>
    private static void WriteList(string path, string folder, IReadOnlyList<LabelledImage> items)
    {
        var text = string.Concat(items.Select(i => $"{Path.GetRelativePath(folder, i.Path).Replace('\\', '/')} "
            + $"{i.Label.ToString(System.Globalization.CultureInfo.InvariantCulture)}\n"));
        AtomicFile.Write(path, s => s.Write(new System.Text.UTF8Encoding(false).GetBytes(text)));
    }
}
