using System.Diagnostics;
using System.Text.Json;
using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data;
using SlsPrune.Core.Evaluation;
using SlsPrune.Core.Indexing;
using SlsPrune.Core.IO;
using SlsPrune.Core.Models;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Pruning;
using SlsPrune.Core.Runtime;
using SlsPrune.Core.Training;

namespace SlsPrune.Core.Batch;

/// <summary>Options of <c>sls batch</c>; <see cref="Shard"/> null: every task (<see cref="Batch.Shard.All"/>).</summary>
/// <remarks><see cref="Outputs"/>: files the command writes besides the results folder (<c>--log-file</c>, <c>--summary-md</c>,
/// <c>--junit</c>), checked with it before the first task.</remarks>
public sealed record BatchOptions(string Manifest, string Out, bool Resume = false, Shard? Shard = null)
{
    /// <summary>Every setting at its default (manifest and folder empty; what a null stands for filled in).</summary>
    public static readonly BatchOptions Defaults = new("", "", Shard: Batch.Shard.All);

    /// <summary>Files the caller writes besides the results folder (the command line's log file, CI summary and JUnit
    /// report), checked with <see cref="Out"/> against the manifest's inputs before the first task; empty by default.</summary>
    public IReadOnlyList<OutputTarget> Outputs { get; init; } = [];
}

/// <summary>One task's outcome, written atomically to <c>OUT/results/NAME.json</c>.</summary>
/// <remarks><see cref="FailedStage"/>: the stage a failed task stopped in (<c>eval full</c>, <c>prune</c>...).
/// <see cref="MethodSeconds"/>: wall time of the pruning method itself (model loading excluded).
/// <see cref="Scores"/>, <see cref="Threshold"/>, <see cref="Metric"/>, <see cref="Alpha"/> and <see cref="KeptBlockNumbers"/>
/// are the pruning index's, so that <c>sls report --format html</c> draws each task's score figure from this file.</remarks>
public sealed record BatchTaskResult(string Task, string? Group, string Status, string? Error, double Seconds,
    TrainResult? Train, EvalResult? Full, int? KeptBlocks, int? Depth, EvalResult? Pruned, TrainResult? Retrain, EvalResult? Retrained,
    string Method = "sls", double? MethodSeconds = null, IReadOnlyList<double>? Scores = null, double? Threshold = null, string? Metric = null,
    double? Alpha = null, IReadOnlyList<int>? KeptBlockNumbers = null, IReadOnlyList<string>? MethodDetails = null, BudgetRecord? Budget = null)
{
    /// <summary>A result with what the index says of the task: its kept blocks and metric, the method's score curve
    /// (scores, threshold, and the alpha where the method has one) and its own lines (<see cref="IIndexSection"/>).</summary>
    public BatchTaskResult WithIndex(PruningIndex? index)
    {
        if (index is null) return this;
        var curve = index.Section?.Curve(index);
        var details = index.Section?.Summary(index).ToList() ?? [];
        // the budget's choice and its cost, and latency's noise where it was too wide (the report's method details)
        if (index.Budget is { } budget) details.AddRange([budget.Describe(), .. budget.Warning is { } w ? new[] { w } : []]);
        // what the prune warned of (said on stderr as it ran) goes into the report with the method's details
        details.AddRange((index.Warnings ?? []).Where(w => index.Budget?.Warning != w).Select(w => $"warning: {w}"));
        return this with
        {
            Scores = curve?.Scores,
            Threshold = curve?.Threshold,
            Alpha = curve?.Alpha,
            Metric = index.Metric,
            KeptBlockNumbers = index.KeptBlocks,
            MethodDetails = details is { Count: > 0 } ? details : null,
            Budget = index.Budget,
        };
    }

    /// <summary>The stage a failed task stopped in (<c>train</c>, <c>eval full</c>, <c>prune</c>, <c>eval pruned</c>); null
    /// when the task succeeded, and then left out of the JSON.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? FailedStage { get; init; }
}

/// <summary>What a batch did: tasks run, skipped as already done, failed, and left to another process that held them
/// (<see cref="Held"/>; their names in <see cref="HeldTasks"/>).</summary>
public sealed record BatchSummary(int Tasks, int Ran, int Skipped, int Failed, IReadOnlyList<string> FailedTasks, int Held = 0,
    IReadOnlyList<string>? HeldTasks = null);

/// <summary>One task of <c>sls batch --dry-run</c>'s plan: what a run would do with it.</summary>
/// <remarks><see cref="Layout"/>: the data layout detected at <see cref="Data"/> (null: none recognised; the run reads it as a
/// VTAB-1k folder and names what is missing). <see cref="Petl"/>: the file given, or the one the train stage writes.
/// <see cref="Action"/>: <c>run</c>, or <c>skip</c> when <see cref="BatchOptions.Resume"/> finds an ok result.</remarks>
public sealed record BatchPlanTask(string Task, string? Group, IReadOnlyList<string> Stages, string Method, string Data, string? Layout, string Split,
    string Petl, bool PetlTrainedHere, string PetlMethod, string Result, bool Done, string Action);

/// <summary><c>sls batch --dry-run</c>: the manifest checked as a real run checks it, and this shard's tasks.</summary>
public sealed record BatchPlan(string Manifest, string Backbone, string Out, string Shard, bool Resume, IReadOnlyList<BatchPlanTask> Tasks);

/// <summary>
/// Runs a manifest's tasks (this shard's share) through their stages. Each task ends in one result file,
/// written atomically; a failing task is recorded with its error and the batch goes on. With
/// <see cref="BatchOptions.Resume"/> tasks whose result says ok are skipped, and the others are redone (training
/// resumes from its own per-epoch state).
/// </summary>
public static class BatchRunner
{
    /// <summary>How result files are written and read: snake_case property names, indented.</summary>
    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>Where <paramref name="task"/>'s result is written under the batch's output folder <paramref name="outDir"/>:
    /// <c>OUT/results/TASK.json</c>.</summary>
    public static string ResultPath(string outDir, string task) => Path.Combine(ResultsFolder(outDir), task + ".json");

    /// <summary><c>OUT/results</c>: every task's result, each read by <c>sls report</c>.</summary>
    public static string ResultsFolder(string outDir) => Path.Combine(outDir, "results");

    /// <summary>The lock a process takes on a task while it runs it (<see cref="TaskLock"/>).</summary>
    public static string LockPath(string outDir, string task) => Path.Combine(outDir, "locks", task + ".lock");

    /// <summary>A given PETL file's method, from its header (a PEFT folder's is PEFT LoRA); where the header cannot be read,
    /// <c>unread</c> (the run names what is wrong).</summary>
    private static string MethodOf(string petl)
    {
        if (Directory.Exists(petl)) return PeftAdapter.MethodName;
        try
        {
            using var file = StateDictFile.Open(petl);
            return PetlMethods.Detect(file.Shapes.Keys).Name;
        }
        catch (SlsInputException)
        {
            return "unread";
        }
    }

    /// <summary>The manifest read and checked as <see cref="Run"/> does before its first task (fields, stages, methods, every
    /// path), and what a run would do with each task of the shard; nothing is run or written.</summary>
    public static BatchPlan Plan(BatchOptions o)
    {
        var m = BatchManifest.Load(o.Manifest);
        var shard = o.Shard ?? Shard.All;
        var mine = shard.Select(m.Tasks).ToList();
        CheckWhole(m, o);
        var tasks = mine.Select(t =>
        {
            var s = (t.Settings ?? new()).Over(m.Defaults);
            string data = m.Resolve(t.Data), result = ResultPath(o.Out, t.Name);
            bool done = IsDone(result);
            string petl = t.Petl is null ? Path.Combine(o.Out, "tasks", t.Name, "petl.safetensors") : m.Resolve(t.Petl);
            return new BatchPlanTask(t.Name, t.Group, s.Stages ?? BatchManifest.StageNames, s.Method ?? BatchDefaults.Method, data,
                Data.DataLayouts.Detect(data)?.Name, s.Split ?? BatchDefaults.Split, petl, t.Petl is null,
                t.Petl is null ? s.PetlMethod ?? BatchDefaults.PetlMethod : MethodOf(petl), result, done, o.Resume && done ? "skip" : "run");
        }).ToList();
        return new BatchPlan(o.Manifest, m.Resolve(m.Backbone), o.Out, $"{shard.Index}/{shard.Count}", o.Resume, tasks);
    }

    /// <summary>Runs this shard's tasks of <paramref name="o"/>'s manifest one after another, each through its stages
    /// (train, eval full, prune, eval pruned), writing one result file per task under <see cref="BatchOptions.Out"/>;
    /// <paramref name="progress"/> receives one line per task and stage. A task that fails is recorded with its error and
    /// the batch goes on; a task another process holds (its lock taken) is left to it.</summary>
    /// <returns>How many tasks ran, were skipped as done, failed or were held elsewhere.</returns>
    /// <exception cref="SlsInputException">before any task runs: the manifest unreadable or invalid (a field, stage,
    /// method or path), or an output path that would overwrite an input.</exception>
    /// <exception cref="OperationCanceledException">when <paramref name="cancellationToken"/> is cancelled; the task under way
    /// writes no result.</exception>
    public static BatchSummary Run(BatchOptions o, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var m = BatchManifest.Load(o.Manifest);
        var shard = o.Shard ?? Shard.All;
        var mine = shard.Select(m.Tasks).ToList();
        CheckWhole(m, o);
        var backbone = Checkpoints.CheckpointSource.Resolve(m.Resolve(m.Backbone)).Fingerprint();
        BatchRecord.CheckOneBackbone(o.Out, backbone);
        BatchRecord.Of(m, backbone).Write(o.Out);
        var threads = ThreadBudget.Current;
        progress?.Report($"shard {shard.Index}/{shard.Count}: {mine.Count} of {m.Tasks.Count} tasks; {threads.Threads} threads (from "
            + $"{threads.From})");
        int ran = 0, skipped = 0;
        var failed = new List<string>();
        var held = new List<string>();
        foreach (var task in mine)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string result = ResultPath(o.Out, task.Name);
            // another process on the same folder may be running this task: leave it to that one
            using var taskLock = TaskLock.TryTake(LockPath(o.Out, task.Name), out int? holder);
            if (taskLock is null)
            {
                held.Add(task.Name);
                progress?.Report($"{Printable.Escape(task.Name)}: held by another process{(holder is int pid ? $" (pid {pid})" : "")} ("
                    + $"{Printable.Escape(LockPath(o.Out, task.Name))}), skipped");
                continue;
            }
            if (o.Resume && IsDone(result))
            {
                skipped++;
                progress?.Report($"{Printable.Escape(task.Name)}: done earlier, skipped");
                continue;
            }
            progress?.Report($"{Printable.Escape(task.Name)}: running");
            var r = RunTask(m, task, Path.Combine(o.Out, "tasks", task.Name), cancellationToken, progress);
            AtomicFile.Write(result, s => JsonSerializer.Serialize(s, r, Json));
            ran++;
            if (r.Status != "ok") failed.Add(task.Name);
            string took = r.Seconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
            progress?.Report(r.Error is null ? $"{Printable.Escape(task.Name)}: {r.Status} in {took} s"
                : $"{Printable.Escape(task.Name)}: {r.Status}: {Printable.Escape(r.Error)} (after {took} s)");
        }
        return new BatchSummary(mine.Count, ran, skipped, failed.Count, failed, held.Count, held);
    }

    /// <summary>What every run and dry run checks before the first task, over every task of the manifest (not only
    /// this shard's: a typo in another shard's task is found by every shard): paths, the results folder, splits, block
    /// budgets.</summary>
    private static void CheckWhole(BatchManifest m, BatchOptions o)
    {
        m.CheckPaths(m.Tasks);
        CheckOut(m, o);
        CheckSplits(m);
        CheckBlockBudgets(m);
        CheckPetlSettings(m);
    }

    /// <summary>A task's given PETL file says its own method, dim and scale: the manifest's (task or defaults) are checked
    /// against its header now, as the run would, so <c>--dry-run</c> refuses a <c>petl_scale</c> that contradicts the file.
    /// A PEFT folder or a file whose header cannot be read is left to the run, which names what is wrong.</summary>
    private static void CheckPetlSettings(BatchManifest m)
    {
        foreach (var t in m.Tasks.Where(t => t.Petl is not null))
        {
            var s = (t.Settings ?? new()).Over(m.Defaults);
            if (s.PetlMethod is null && s.PetlDim is null && s.PetlScale is null) continue;
            string petl = m.Resolve(t.Petl!);
            if (Directory.Exists(petl)) continue;
            StateDictFile file;
            try
            {
                file = StateDictFile.Open(petl);
            }
            catch (SlsInputException)
            {
                continue;
            }
            using (file)
            {
                try
                {
                    PetlResolver.Resolve(file.Shapes, file.Metadata, petl, s.PetlMethod is string pm ? PetlMethods.ByName(pm) : null, s.PetlDim,
                        s.PetlScale);
                }
                catch (SlsInputException e)
                {
                    throw new SlsInputException(m.Source, $"task '{Printable.Escape(t.Name)}': {e.Message.Replace("--petl-", "petl_", StringComparison
                        .Ordinal)}");
                }
            }
        }
    }

    /// <summary>Every task's data has the splits its stages read (the training and calibration split, the evaluation
    /// split), so a typo in <c>eval_split</c> is refused by <c>--dry-run</c>, not after the training stage has run.</summary>
    private static void CheckSplits(BatchManifest m)
    {
        foreach (var t in m.Tasks)
        {
            var s = (t.Settings ?? new()).Over(m.Defaults);
            var stages = s.Stages ?? BatchManifest.StageNames;
            var needed = new List<(string Key, string Split)>();
            if (stages.Any(x => x is "train" or "prune" or "retrain")) needed.Add(("split", s.Split ?? BatchDefaults.Split));
            if (stages.Any(x => x is "train" or "eval" or "retrain")) needed.Add(("eval_split", s.EvalSplit ?? BatchDefaults.EvalSplit));
            if (needed.Count == 0) continue;
            var options = new DataOptions(s.PathColumn, s.LabelColumn, s.ExifTranspose ?? BatchDefaults.ExifTranspose);
            IDataSource source;
            try
            {
                source = DataLayouts.Open(m.Resolve(t.Data), options);
            }
            catch (SlsInputException e)
            {
                throw new SlsInputException(m.Source, $"task '{Printable.Escape(t.Name)}': data {e.Message}");
            }
            foreach (var (key, split) in needed)
                if (!source.Splits.Contains(DataLayouts.Split(source, split)))
                    throw new SlsInputException(m.Source, $"task '{Printable.Escape(t.Name)}': {key} '{Printable.Escape(split)}' is not a split of "
                        + $"its data (its splits: {string.Join(", ", source.Splits.Select(Printable.Escape))})");
        }
    }

    /// <summary>A <c>keep_blocks</c> beyond the backbone's depth is refused at load (the backbone's shapes are read once;
    /// a backbone whose shape cannot be read here is left to the run, which names what it lacks).</summary>
    private static void CheckBlockBudgets(BatchManifest m)
    {
        var budgets = m.Tasks.Select(t => (Task: t, Keep: (t.Settings ?? new()).Over(m.Defaults).MethodSettings?.GetValueOrDefault("keep_blocks")))
            .Where(x => x.Keep is { ValueKind: JsonValueKind.Number }).ToList();
        if (budgets.Count == 0) return;
        int depth;
        try
        {
            depth = ModelFactory.Depth(new ModelOptions(m.Resolve(m.Backbone), Heads: m.Defaults.Heads));
        }
        catch (SlsInputException)
        {
            return;
        }
        foreach (var (task, keep) in budgets)
            if (keep!.Value.TryGetInt32(out int k) && k > depth)
                throw new SlsInputException(m.Source, $"task '{Printable.Escape(task.Name)}': keep_blocks {k} is more than the backbone's {depth} "
                    + $"blocks");
    }

    /// <summary>A task's lists and images (<see cref="TaskFiles"/>); none where its data cannot be opened (the run says why).</summary>
    private static IEnumerable<string> FilesOf(BatchManifest m, BatchTask t)
    {
        var s = (t.Settings ?? new()).Over(m.Defaults);
        IDataSource source;
        try
        {
            var options = new DataOptions(s.PathColumn, s.LabelColumn, s.ExifTranspose ?? BatchDefaults.ExifTranspose);
            source = DataLayouts.Open(m.Resolve(t.Data), options);
        }
        catch (SlsInputException)
        {
            return [];
        }
        return TaskFiles.Of(source);
    }

    /// <summary>The results folder, and every other output (<see cref="BatchOptions.Outputs"/>), must not be, or lie inside,
    /// a folder any task reads, and must be writable.</summary>
    private static void CheckOut(BatchManifest m, BatchOptions o)
    {
        var inputs = new List<string?> { o.Manifest, m.Resolve(m.Backbone) };
        foreach (var t in m.Tasks)
        {
            inputs.Add(m.Resolve(t.Data));
            if (t.Petl is not null) inputs.Add(m.Resolve(t.Petl));
        }
        OutputPath.CheckFolder(o.Out, "--out", false, [.. inputs]);
        // the folder's own subfolders are written into by name: through a link they could lead onto an input
        string[] subfolders = [ResultsFolder(o.Out), Path.Combine(o.Out, "locks"), Path.Combine(o.Out, "tasks"), BatchRecord.Folder(o.Out)];
        foreach (var sub in subfolders)
            if (new DirectoryInfo(sub).LinkTarget is not null)
                throw new SlsInputException(sub, "is a symbolic link; sls batch writes into its results folder's own subfolders, never "
                    + "through a link (remove it, or choose another --out)");
        foreach (var output in o.Outputs) output.Check([.. inputs]);
        // an output file that exists already (a log appended to) must be none of the tasks' files, wherever a CSV puts them
        var taskFiles = new Lazy<IReadOnlySet<string>>(() => m.Tasks.SelectMany(t => FilesOf(m, t)).Select(OutputPath.RealOf)
            .ToHashSet(StringComparer.Ordinal));
        foreach (var output in o.Outputs.Where(x => !x.Folder)) OutputPath.CheckNotAmong(output.Path, output.Option, taskFiles);
        // each task's lock is written in place: an existing one must be a regular file of its own, not a link or a
        // second name of an input; and no other output may lie among the locks (a log there would be locked by the run)
        var inputIds = OutputPath.Identities(inputs);
        foreach (var t in m.Tasks)
        {
            string taskLock = LockPath(o.Out, t.Name);
            TaskLock.Check(taskLock);
            OutputPath.CheckInPlace(taskLock, "a task's lock", inputIds);
        }
        string locks = OutputPath.RealOf(Path.Combine(o.Out, "locks")).TrimEnd('/') + "/";
        foreach (var output in o.Outputs)
            if (OutputPath.RealOf(output.Path).StartsWith(locks, StringComparison.Ordinal))
                throw new SlsInputException(output.Path, $"is in the results folder's locks/, where sls batch takes its task locks; {output.Option} "
                    + $"names a file outside it");
    }

    private static string Seconds(Stopwatch clock) => clock.Elapsed.TotalSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture);

    private static bool IsDone(string resultPath)
    {
        if (!File.Exists(resultPath)) return false;
        try
        {
            using var doc = JsonDocument.Parse(InputFile.ReadAllBytes(resultPath, InputFile.MaxTextBytes, "a result JSON"));
            return doc.RootElement.TryGetProperty("status", out var s) && s.GetString() == "ok";
        }
        catch (JsonException)
        {
            return false; // unreadable: redo it
        }
    }

    private static BatchTaskResult RunTask(BatchManifest m, BatchTask task, string dir, CancellationToken ct, IProgress<string>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        var s = (task.Settings ?? new()).Over(m.Defaults);
        var stages = s.Stages ?? BatchManifest.StageNames;
        TrainResult? train = null, retrain = null;
        EvalResult? full = null, pruned = null, retrained = null;
        int? kept = null, depth = null;
        double? methodSeconds = null;
        PruningIndex? ix = null;
        string methodName = s.Method ?? BatchDefaults.Method;
        string? stageNow = null;
        try
        {
            Directory.CreateDirectory(dir);
            string backbone = m.Resolve(m.Backbone), data = m.Resolve(task.Data);
            var method = PetlMethods.ByName(s.PetlMethod ?? BatchDefaults.PetlMethod) ?? throw new SlsInputException(m.Resolve("."),
                $"task '{task.Name}': unknown petl_method '{s.PetlMethod}'");
            var petl = new PetlSettings(method, s.PetlDim ?? BatchDefaults.PetlDim, s.PetlScale ?? BatchDefaults.PetlScale);
            string petlFile = task.Petl is null ? Path.Combine(dir, "petl.safetensors") : m.Resolve(task.Petl);
            string index = Path.Combine(dir, "index.sls.json");
            // a given PETL file's method, dim and scale are its own: the manifest's fill in what it does not say, and are refused
            // where they contradict it (as on the command line)
            var model = new ModelOptions(backbone, petlFile, s.Heads, Device: s.Device ?? BatchDefaults.Device, BatchSize: s.BatchSize
                ?? BatchDefaults.BatchSize, ImageSize: s.ImageSize)
            {
                PetlMethod = task.Petl is not null && s.PetlMethod is not null ? method : null,
                PetlDim = task.Petl is not null ? s.PetlDim : null,
                PetlScale = task.Petl is not null ? s.PetlScale : null,
                AllowClassMismatch = s.AllowClassMismatch ?? BatchDefaults.AllowClassMismatch,
            };
            var dataOptions = new DataOptions(s.PathColumn, s.LabelColumn, s.ExifTranspose ?? BatchDefaults.ExifTranspose);
            string split = s.Split ?? BatchDefaults.Split;
            void Warn(string line) => progress?.Report($"{Printable.Escape(task.Name)}: warning: {line}");
            // each stage says when it starts and ends: the last line of a log whose process died (a native crash, a
            // kill) names the task and the stage it was in
            T Stage<T>(string stage, Func<T> run)
            {
                string at = $"{Printable.Escape(task.Name)}: {stage}";
                progress?.Report($"{at}: started");
                stageNow = stage;
                var stageClock = Stopwatch.StartNew();
                try
                {
                    var r = run();
                    progress?.Report($"{at}: done in {Seconds(stageClock)} s");
                    stageNow = null;
                    return r;
                }
                catch (Exception e)
                {
                    progress?.Report($"{at}: {(e is OperationCanceledException ? "stopped" : "failed")} after {Seconds(stageClock)} s");
                    throw;
                }
            }
            TrainOptions Train(string outFile, int epochs, string? init) => new(model, data, petl, outFile, epochs, Math.Min(s.WarmupEpochs
                ?? BatchDefaults.WarmupEpochs, epochs),
                s.Lr ?? BatchDefaults.Lr, Seed: s.Seed ?? BatchDefaults.Seed, EvalEvery: Math.Max(1, epochs / 4), TrainSplit: split,
                    EvalSplit: s.EvalSplit ?? BatchDefaults.EvalSplit, InitFrom: init)
            { DataOptions = dataOptions, Warn = Warn, Note = line => progress?.Report($"{Printable.Escape(task.Name)}: {line}") };
            EvalOptions Eval(ModelOptions mo, string? idx) => new(mo, data, idx, s.EvalSplit ?? BatchDefaults.EvalSplit, s.Throughput
                ?? BatchDefaults.Throughput, ThroughputBatches: [64])
            { DataOptions = dataOptions, Warn = Warn };

            if (stages.Contains("train"))
            {
                if (task.Petl is not null) throw new SlsInputException(m.Resolve("."), $"task '{task.Name}' gives a 'petl' file and a 'train' "
                    + $"stage; drop one");
                train = Stage("train", () => PetlTrainer.Run(Train(petlFile, s.Epochs ?? BatchDefaults.Epochs, null), cancellationToken: ct));
            }
            if (stages.Contains("eval")) full = Stage("eval full", () => EvalRunner.Run(Eval(model, null), cancellationToken: ct));
            // aglp (retrained) and spa (masked) write new adapters beside the index; eval and retraining start from them
            string methodPetl = Path.Combine(dir, "petl.method.safetensors");
            if (stages.Contains("prune"))
            {
                var pruneMethod = PruneMethods.Get(methodName);
                var settings = s.MethodSettingsObject(m.Resolve);
                if (pruneMethod.SettingNames.Contains("petl_out")) settings["petl_out"] = methodPetl;
                var p = Stage("prune", () => PruneRunner.Run(new PruneOptions(model, data, pruneMethod, pruneMethod.ReadOptions(settings,
                    m.Resolve(".")), split, Out: index, Seed: s.Seed ?? BatchDefaults.Seed)
                {
                    DataOptions = dataOptions,
                    Calibration = s.Calibration,
                    CalibrationPerClass = s.CalibrationPerClass,
                    EveryLayerReadBy = "the batch report's score curve",
                    Budget = s.Budget is { } budget ? Pruning.Budgets.Budget.Parse(budget) : null,
                    LatencyBatch = s.LatencyBatch ?? BatchDefaults.LatencyBatch,
                }, new WarningsOnly(Warn), ct));
                (kept, depth, methodSeconds) = (p.Index.KeptBlocks.Count, p.Index.Depth, p.Index.MethodSeconds);
                ix = p.Index;
                if (stages.Contains("eval")) pruned = Stage("eval pruned", () => EvalRunner.Run(Eval(model with { Petl = p.PetlPath ?? petlFile },
                    index), cancellationToken: ct));
            }
            if (stages.Contains("retrain"))
            {
                if (!File.Exists(index)) throw new SlsInputException(index, "retraining needs the pruning index: add the 'prune' stage");
                string re = Path.Combine(dir, "petl.pruned.safetensors");
                var retrainOptions = Train(re, s.RetrainEpochs ?? BatchDefaults.RetrainEpochs, File.Exists(methodPetl) ? methodPetl : petlFile);
                if (s.RetrainDistill == true)
                    retrainOptions = retrainOptions with
                    {
                        Distill = new DistillSettings(s.DistillTemperature ?? BatchDefaults.DistillTemperature,
                        s.DistillWeight ?? BatchDefaults.DistillWeight),
                        DistillFrom = petlFile
                    };
                retrain = Stage("retrain", () => Retraining.Run(retrainOptions, index, allowMismatch: false, cancellationToken: ct));
                if (stages.Contains("eval") && retrain.Index is string retrainedIndex)
                    retrained = Stage("eval retrained", () => EvalRunner.Run(Eval(model with { Petl = re }, retrainedIndex), cancellationToken: ct));
            }
            return new BatchTaskResult(task.Name, task.Group, "ok", null, clock.Elapsed.TotalSeconds, train, full, kept, depth, pruned, retrain,
                retrained, methodName, methodSeconds)
                .WithIndex(ix);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new BatchTaskResult(task.Name, task.Group, "failed", e.Message.Split('\n')[0], clock.Elapsed.TotalSeconds, train, full, kept,
                depth, pruned, retrain, retrained, methodName, methodSeconds)
                .WithIndex(ix) with
            { FailedStage = stageNow };
        }
    }
}
