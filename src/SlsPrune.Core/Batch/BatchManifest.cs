using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SlsPrune.Core.IO;

namespace SlsPrune.Core.Batch;

/// <summary>Settings a task takes from the manifest's <c>defaults</c> unless it gives its own.</summary>
public sealed record BatchSettings
{
    public IReadOnlyList<string>? Stages { get; init; }
    public string? PetlMethod { get; init; }
    public int? PetlDim { get; init; }
    public double? PetlScale { get; init; }
    public int? Epochs { get; init; }
    public int? WarmupEpochs { get; init; }
    public int? RetrainEpochs { get; init; }
    public double? Lr { get; init; }
    public int? BatchSize { get; init; }
    public int? Seed { get; init; }
    public int? Heads { get; init; }
    public int? ImageSize { get; init; }
    public string? Device { get; init; }
    public string? EvalSplit { get; init; }
    public bool? Throughput { get; init; }

    /// <summary>The split training fits on and pruning calibrates on (default <c>train800val200</c>; <c>train</c> for an
    /// ImageFolder tree with splits, <c>all</c> for one without or a CSV without a split column).</summary>
    public string? Split { get; init; }

    /// <summary>Pruning draws this many images (or this many per class) from <see cref="Split"/>, stratified, for the seed.</summary>
    public int? Calibration { get; init; }
    public int? CalibrationPerClass { get; init; }

    /// <summary>How the data is read: a CSV's columns, EXIF orientation (as the command line's options).</summary>
    public string? PathColumn { get; init; }
    public string? LabelColumn { get; init; }
    public bool? ExifTranspose { get; init; }

    /// <summary>Use a given PETL file's head on data whose classes differ from those it was trained on (as
    /// <c>--allow-class-mismatch</c>).</summary>
    public bool? AllowClassMismatch { get; init; }

    /// <summary>The retrain stage distils from the unpruned model (the task's PETL file is the teacher).</summary>
    public bool? RetrainDistill { get; init; }
    public double? DistillTemperature { get; init; }
    public double? DistillWeight { get; init; }

    /// <summary>The prune stage's budget, as <c>--budget</c> gives it (<c>flops=0.6</c>, <c>params=</c>, <c>latency=5ms</c>,
    /// <c>depth=N</c>).</summary>
    public string? Budget { get; init; }

    /// <summary>The batch a latency budget is measured at (as <c>--latency-batch</c>).</summary>
    public int? LatencyBatch { get; init; }

    /// <summary>The prune stage's method (sls, bi, cka, probe, depgraph, aglp, spa).</summary>
    public string? Method { get; init; }

    /// <summary>The methods' own settings (alpha, ratio, match_index, importance, ...), read by the chosen method into
    /// its options record (<see cref="Pruning.IPruneMethod.ReadOptions"/>), as the command line's are.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? MethodSettings { get; init; }

    /// <summary>This task's settings over <paramref name="defaults"/>.</summary>
    public BatchSettings Over(BatchSettings defaults) => new()
    {
        Stages = Stages ?? defaults.Stages, PetlMethod = PetlMethod ?? defaults.PetlMethod, PetlDim = PetlDim ?? defaults.PetlDim,
        PetlScale = PetlScale ?? defaults.PetlScale, Epochs = Epochs ?? defaults.Epochs, WarmupEpochs = WarmupEpochs ?? defaults.WarmupEpochs,
        RetrainEpochs = RetrainEpochs ?? defaults.RetrainEpochs, Lr = Lr ?? defaults.Lr, BatchSize = BatchSize ?? defaults.BatchSize,
        Seed = Seed ?? defaults.Seed, Heads = Heads ?? defaults.Heads, ImageSize = ImageSize ?? defaults.ImageSize, Device = Device
            ?? defaults.Device,
        EvalSplit = EvalSplit ?? defaults.EvalSplit, Throughput = Throughput ?? defaults.Throughput, Method = Method ?? defaults.Method,
        RetrainDistill = RetrainDistill ?? defaults.RetrainDistill, DistillTemperature = DistillTemperature ?? defaults.DistillTemperature,
        DistillWeight = DistillWeight ?? defaults.DistillWeight, Split = Split ?? defaults.Split, Calibration = Calibration ?? defaults.Calibration,
        CalibrationPerClass = CalibrationPerClass ?? defaults.CalibrationPerClass, PathColumn = PathColumn ?? defaults.PathColumn,
        LabelColumn = LabelColumn ?? defaults.LabelColumn, ExifTranspose = ExifTranspose ?? defaults.ExifTranspose,
        AllowClassMismatch = AllowClassMismatch ?? defaults.AllowClassMismatch,
        Budget = Budget ?? defaults.Budget, LatencyBatch = LatencyBatch ?? defaults.LatencyBatch,
        MethodSettings = Merge(defaults.MethodSettings, MethodSettings),
    };

    private static Dictionary<string, JsonElement>? Merge(Dictionary<string, JsonElement>? under, Dictionary<string, JsonElement>? over)
    {
        if (under is null) return over;
        var merged = new Dictionary<string, JsonElement>(under, StringComparer.Ordinal);
        foreach (var (k, v) in over ?? []) merged[k] = v;
        return merged;
    }

    /// <summary>The method settings as the methods read them; <c>match_index</c> resolved against <paramref name="resolve"/>.</summary>
    public JsonObject MethodSettingsObject(Func<string, string> resolve)
    {
        var o = new JsonObject();
        foreach (var (k, v) in MethodSettings ?? [])
            o[k] = Pruning.PruneMethods.IsPath(k) && v.ValueKind == JsonValueKind.String ? JsonValue.Create(resolve(v.GetString()!))
                : JsonNode.Parse(v.GetRawText());
        return o;
    }
}

/// <summary>One task of a batch: its folder, group (natural / specialized / structured), an existing PETL file
/// (when it is not trained here), and settings over the defaults.</summary>
public sealed record BatchTask
{
    public required string Name { get; init; }
    public required string Data { get; init; }
    public string? Group { get; init; }
    public int? Classes { get; init; }
    public string? Petl { get; init; }
    public BatchSettings? Settings { get; init; }
}

/// <summary>
/// A batch manifest (JSON, or YAML for a file ending in .yaml or .yml): the shared backbone, default settings and the tasks. Paths are relative to
/// the
/// manifest's folder. Stages are any of <c>train</c>, <c>prune</c>, <c>eval</c>, <c>retrain</c>, run in that order.
/// </summary>
public sealed record BatchManifest
{
    public static readonly string[] StageNames = ["train", "prune", "eval", "retrain"];

    public required string Backbone { get; init; }
    public BatchSettings Defaults { get; init; } = new();
    public required IReadOnlyList<BatchTask> Tasks { get; init; }

    /// <summary>The manifest's folder, which relative paths start from.</summary>
    [JsonIgnore]
    public string Root { get; init; } = ".";

    public string Resolve(string path) => Path.GetFullPath(Path.Combine(Root, path));

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>A manifest ending in .yaml or .yml is YAML; anything else is JSON.</summary>
    public static bool IsYaml(string path) => Path.GetExtension(path).ToLowerInvariant() is ".yaml" or ".yml";

    /// <exception cref="SlsInputException">for an unreadable or inconsistent manifest.</exception>
    public static BatchManifest Load(string path)
    {
        if (Directory.Exists(path)) throw new SlsInputException(path, "is a folder; a batch manifest file (JSON, or YAML ending in .yaml/.yml) is "
            + "expected here");
        if (!File.Exists(path)) throw new SlsInputException(path, "manifest not found");
        BatchManifest? m;
        Func<string, int?>? lineOf = null;
        JsonNode? tree = null;
        try
        {
            string text = InputFile.ReadAllText(path, InputFile.MaxTextBytes, "a batch manifest");
            if (!IsYaml(path)) JsonKeys.RefuseDuplicates(path, text, comments: true);
            m = IsYaml(path)
                ? (tree = YamlToJson.Convert(text, out lineOf)) is { } node ? node.Deserialize<BatchManifest>(Options) : null
                : JsonSerializer.Deserialize<BatchManifest>(text, Options);
            if (m is not null && tree is null)
                tree = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions
                {
                    CommentHandling = JsonCommentHandling.Skip,
                    AllowTrailingCommas = true
                });
        }
        catch (JsonException e)
        {
            throw new SlsInputException(path, $"not a valid batch manifest: {JsonErrors.Describe(e, lineOf)}");
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new SlsInputException(path, $"not valid YAML (line {e.Start.Line}, column {e.Start.Column}: {e.Message})");
        }
        if (m is null || m.Tasks is null || m.Tasks.Count == 0) throw new SlsInputException(path, "the manifest lists no tasks");
        RequireFields(path, m);
        ManifestChecks.NoNulls(path, tree);
        var dup = m.Tasks.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new SlsInputException(path, $"task '{dup.Key}' is listed twice");
        foreach (var t in m.Tasks)
        {
            if (t.Name.Length == 0 || t.Name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || t.Name.StartsWith('.'))
                throw new SlsInputException(path, $"task name '{t.Name}' cannot name a file");
            var stages = (t.Settings ?? new()).Over(m.Defaults).Stages ?? StageNames;
            var unknown = stages.FirstOrDefault(s => !StageNames.Contains(s));
            if (unknown is not null) throw new SlsInputException(path, $"task '{t.Name}' has unknown stage '{unknown}' (known: "
                + $"{string.Join(", ", StageNames)})");
            var settings = (t.Settings ?? new()).Over(m.Defaults);
            if (settings.Method is string method && !Pruning.PruneMethods.All.Any(x => x.Name == method))
                throw new SlsInputException(path, $"task '{t.Name}' has unknown method '{method}' (known: {Pruning.PruneMethods.Names})");
            var unknownKey = (settings.MethodSettings ?? []).Keys.FirstOrDefault(k => !Pruning.PruneMethods.SettingNames.Contains(k));
            if (unknownKey is not null)
                throw new SlsInputException(path, $"task '{t.Name}' has unknown setting '{unknownKey}'");
            // a task's own setting of another method would be ignored: it asks for something its run does not do
            var chosen = Pruning.PruneMethods.Get(settings.Method ?? BatchDefaults.Method);
            if ((t.Settings?.MethodSettings ?? []).Keys.FirstOrDefault(k => !chosen.SettingNames.Contains(k)) is string foreign)
                throw new SlsInputException(path, $"task '{t.Name}': setting '{foreign}' does not apply to its method {chosen.Name} (it is a "
                    + $"setting of {Pruning.PruneMethods.WithSetting(foreign)})");
            if (!stages.Contains("train") && t.Petl is null)
                throw new SlsInputException(path, $"task '{t.Name}' has no 'petl' file and no 'train' stage to make one");
            if (settings.PetlMethod is string pm && Models.Petl.PetlMethods.ByName(pm) is null)
                throw new SlsInputException(path, $"task '{t.Name}' has unknown petl_method '{Printable.Escape(pm)}' ("
                    + $"{Models.Petl.PetlMethods.Names})");
            ManifestChecks.Task(path, t, settings, stages, Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
        // a default of a method no task runs would be ignored by every task
        var methods = m.Tasks.Select(t => Pruning.PruneMethods.Get((t.Settings ?? new()).Over(m.Defaults).Method ?? BatchDefaults.Method)).ToList();
        if ((m.Defaults?.MethodSettings ?? []).Keys.FirstOrDefault(k => !methods.Any(x => x.SettingNames.Contains(k))) is string unused)
            throw new SlsInputException(path, $"default setting '{unused}' applies to no task's method (it is a setting of "
                + $"{Pruning.PruneMethods.WithSetting(unused)}; the tasks run {string.Join(", ", methods.Select(x => x.Name).Distinct())})");
        return m with { Root = Path.GetDirectoryName(Path.GetFullPath(path))!, Source = path };
    }

    /// <summary>The file the manifest was read from (named in errors).</summary>
    [JsonIgnore]
    public string Source { get; init; } = "manifest";

    /// <summary>Every path the tasks in <paramref name="tasks"/> read exists: checked before the first task runs, so a typo in
    /// the last task does not surface hours later.</summary>
    /// <exception cref="SlsInputException">naming the manifest, the task and the path.</exception>
    public void CheckPaths(IEnumerable<BatchTask> tasks)
    {
        bool Exists(string p) => File.Exists(Resolve(p)) || Directory.Exists(Resolve(p));
        // a FIFO, device or socket would hang or never end the task that reads it: refused here, with the others
        bool Special(string p) => FileKind.Of(Resolve(p)) is PathKind.Special or PathKind.BrokenLink;
        if (!Exists(Backbone)) throw new SlsInputException(Source, $"backbone '{Printable.Escape(Backbone)}' does not exist (paths are relative to "
            + $"the manifest's folder)");
        if (Special(Backbone)) throw new SlsInputException(Source, $"backbone '{Printable.Escape(Backbone)}' is not a regular file or folder (a "
            + $"FIFO, device or socket)");
        foreach (var t in tasks)
        {
            if (!Exists(t.Data)) throw new SlsInputException(Source, $"task '{Printable.Escape(t.Name)}': data '{Printable.Escape(t.Data)}' does "
                + $"not exist");
            if (Special(t.Data)) throw new SlsInputException(Source, $"task '{Printable.Escape(t.Name)}': data '{Printable.Escape(t.Data)}' is not "
                + $"a regular file or folder (a FIFO, device or socket)");
            if (t.Petl is not null && !Exists(t.Petl)) throw new SlsInputException(Source,
                $"task '{Printable.Escape(t.Name)}': petl '{Printable.Escape(t.Petl)}' does not exist");
            if (t.Petl is not null && Special(t.Petl)) throw new SlsInputException(Source,
                $"task '{Printable.Escape(t.Name)}': petl '{Printable.Escape(t.Petl)}' is not a regular file or folder (a FIFO, device or socket)");
        }
    }

    /// <summary>JSON (and YAML's <c>~</c>) can give any field null, a required one included: refused by name.</summary>
    private static void RequireFields(string path, BatchManifest m)
    {
        void Need(object? value, string field)
        {
            if (value is null) throw new SlsInputException(path, $"field '{field}' is missing or null");
        }
        void NoNullEntries<T>(IReadOnlyList<T>? list, string field)
        {
            if (list is not null && list.Any(x => x is null)) throw new SlsInputException(path, $"field '{field}' has a null entry");
        }
        Need(m.Backbone, "backbone");
        Need(m.Defaults, "defaults");
        NoNullEntries(m.Defaults.Stages, "defaults.stages");
        for (int i = 0; i < m.Tasks.Count; i++)
        {
            var t = m.Tasks[i];
            Need(t, $"tasks[{i}]");
            Need(t.Name, $"tasks[{i}].name");
            Need(t.Data, $"tasks[{i}].data");
            NoNullEntries(t.Settings?.Stages, $"tasks[{i}].settings.stages");
        }
    }
}
