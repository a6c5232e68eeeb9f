using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SlsPrune.Core.IO;
using SlsPrune.Core.Models;

namespace SlsPrune.Core.Indexing;

/// <summary>The calibration data the scores came from, and the precision its features were computed in.</summary>
/// <remarks><see cref="Feature"/>: which per-block feature was scored, the one the model's head reads (<c>cls</c>, the
/// class token, or <c>mean-patch</c>, the mean of the patch tokens). Optional (absent in older indexes): <see cref="Layout"/>
/// the data layout read; <see cref="List"/> the file beside the index listing the images used (<c>relative/path label</c>
/// lines, relative to <see cref="Folder"/>), written when the images were sampled (<see cref="Sampled"/>) or the data is
/// not a VTAB-1k folder.</remarks>
public sealed record CalibrationInfo(string Task, string Split, int Samples, int Classes, int Seed, string Precision = "fp32", string? Feature = null,
    string? Layout = null, string? Folder = null, string? List = null, string? Sampled = null);

/// <summary>The kept heads, MLP units and head dims of one width-pruned block (1-based block, 0-based the rest).</summary>
/// <remarks><see cref="HeadDims"/>: the dimensions every kept head keeps (absent: all).</remarks>
public sealed record BlockWidthEntry(int Block,
    [property: JsonConverter(typeof(CompactIntList))] IReadOnlyList<int> Heads,
    [property: JsonConverter(typeof(CompactIntList))] IReadOnlyList<int> MlpUnits,
    [property: JsonConverter(typeof(CompactIntList))] IReadOnlyList<int>? HeadDims = null);

/// <summary>
/// The pruning index (<c>*.sls.json</c>): all a pruned model needs besides the shared backbone and the PETL
/// file — which blocks to keep and, for width pruning, which heads and MLP units of each — plus how that was
/// decided and the hashes of the files it was decided for. Version 2 added any set of kept blocks (SLS keeps
/// 1..k; greedy and importance-ranked methods may drop blocks anywhere), widths, and optional scores and t-SNE
/// settings. Version 3 keeps at the top level only what every method records; what a method records of its own
/// (SLS's alpha, scores, t-SNE settings; a width method's ratio; ...) is its <see cref="Section"/>, a JSON object
/// under the method's name with its own version, written, read and checked by the method
/// (<see cref="IIndexSectionFormat"/>). Version 1 and 2 files read unchanged: their top-level fields move into the
/// method's section as they are read.
/// </summary>
public sealed record PruningIndex
{
    /// <summary>The value of every index's <c>format</c> field; a JSON file with another is refused as not an index.</summary>
    public const string FormatName = "slsprune-index";
    /// <summary>The index version this tool writes (<see cref="Save"/>) and the newest it reads.</summary>
    public const int CurrentVersion = 3;

    /// <summary>The file's <c>format</c> field: always <see cref="FormatName"/> in an index that loaded.</summary>
    public string Format { get; init; } = FormatName;

    /// <summary>The file's version, 1 to <see cref="CurrentVersion"/>; <see cref="Save"/> always writes the current one.</summary>
    public int Version { get; init; } = CurrentVersion;

    /// <summary>The prune method that wrote the index, by its registry name (<see cref="Pruning.PruneMethods"/>); its
    /// section is stored under this name.</summary>
    public string Method { get; init; } = "sls";

    /// <summary>How layers were scored (silhouette, block-influence, ...); for width methods the importance; <c>none</c>
    /// where nothing was scored.</summary>
    public required string Metric { get; init; }

    /// <summary>The number of blocks of the full backbone the index was computed for (<see cref="KeptBlocks"/> are within 1..Depth).</summary>
    public required int Depth { get; init; }

    /// <summary>1-based indices of the kept blocks, ascending (always 1..k for SLS).</summary>
    [JsonConverter(typeof(CompactIntList))]
    public required IReadOnlyList<int> KeptBlocks { get; init; }

    /// <summary>Width-pruned blocks: the heads and MLP units each keeps (absent: every kept block at full width).</summary>
    public IReadOnlyList<BlockWidthEntry>? Width { get; init; }

    /// <summary>Wall time of the method itself, seconds (model loading excluded).</summary>
    public double? MethodSeconds { get; init; }

    /// <summary>Why these blocks were kept, in one sentence for people (e.g. SLS's "layer 7 is the last below the threshold");
    /// never parsed.</summary>
    public required string Decision { get; init; }

    /// <summary>The data the decision was made on: task, split, number of samples and classes, seed, precision.</summary>
    public required CalibrationInfo Calibration { get; init; }

    /// <summary>Class i's name, where the data names its classes (class folders, CSV label names, task.json).</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>The input size the scores were computed at and where it came from (<c>checkpoint</c>, <c>option</c>,
    /// <c>assumed</c>); absent in older indexes.</summary>
    public InputSizeOrigin? Input { get; init; }

    /// <summary>The backbone checkpoint the index was computed with (path as given and SHA-256): loading the index with another
    /// file is refused unless a mismatch is allowed.</summary>
    public required FileFingerprint Backbone { get; init; }

    /// <summary>The PETL file the index was computed with; absent when the backbone's own head classified (a full
    /// fine-tune or a classification checkpoint, pruned without --petl).</summary>
    public FileFingerprint? Petl { get; init; }

    /// <summary>What <c>--budget</c> recorded: the budget, every depth's cost, the policy and its choice (absent
    /// without a budget).</summary>
    public BudgetRecord? Budget { get; init; }

    /// <summary>What the run that wrote the index warned of (each line said on stderr too): a setting that makes the decision
    /// doubtful, an assumed input size, noisy latencies; null: none.</summary>
    public IReadOnlyList<string>? Warnings { get; init; }

    /// <summary>The tool and version that wrote the index (<c>sls 0.1.0</c>); null in hand-made indexes.</summary>
    public string? Tool { get; init; }

    /// <summary>When the index was written; null in hand-made indexes.</summary>
    public DateTimeOffset? Created { get; init; }

    /// <summary>What the method recorded of its own (null: nothing), under the method's name in the file.</summary>
    [JsonIgnore]
    public IIndexSection? Section { get; init; }

    /// <summary>The fields beyond the common ones: as the file had them when read (the method's section; in a version 1
    /// or 2 file the method's top-level fields), which <see cref="Load"/> reads into <see cref="Section"/>; once there is
    /// a section, the section's JSON under the method's name, so every serializer (the file, <c>--json</c>) writes it.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? Beyond
    {
        get => Section is null ? beyond : new Dictionary<string, JsonElement>(StringComparer.Ordinal)
        {
            [Method] = JsonSerializer.SerializeToElement(SectionJson(), Json)
        };
        init => beyond = value;
    }

    private readonly IDictionary<string, JsonElement>? beyond;

    /// <summary>The section's JSON, by the method's format (or as read, for a method not known here).</summary>
    private JsonObject SectionJson() => Section is RawSection raw ? raw.Json
        : (IndexSections.Find(Method) ?? throw new InvalidOperationException($"method '{Method}' has a section but no section "
            + $"format")).Write(Section!);

    /// <summary>The top-level fields of version 1 and 2 indexes that are a method's own now: those moved into the
    /// section of a method this tool does not know.</summary>
    public static readonly IReadOnlyList<string> LegacyFields =
        ["alpha", "threshold", "ratio", "pruned_tensor_bytes", "scores", "scores_from_top", "score_std", "seed_kept", "alpha_sweep", "depth_accuracy",
         "policy", "max_drop", "steps", "tsne"];

    /// <summary>The JSON names of the fields every index has (a method's section, written under the method's name, may not
    /// take one of them, nor a legacy field's name).</summary>
    public static IReadOnlySet<string> CommonFieldNames { get; } = typeof(PruningIndex).GetProperties()
        .Where(p => p.GetCustomAttributes(typeof(JsonExtensionDataAttribute), false).Length == 0 && p.GetMethod is
        {
            IsStatic: false,
            IsPublic: true
        })
        .Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)).Concat(LegacyFields).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>The index's JSON rules, also used by the sections: snake_case names, nulls left out, indented, NaN and
    /// infinities as named literals, non-ASCII text written as is.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // class names and paths as written (O'Brien, not O\u0027Brien); control characters are still escaped
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes the index at the current version, the method's section under its name, atomically.</summary>
    public void Save(string path)
    {
        var written = this with { Version = CurrentVersion, Beyond = null };
        AtomicFile.Write(path, s => JsonSerializer.Serialize(s, written, Json));
    }

    /// <summary>Reads and checks the index at <paramref name="path"/> (versions 1 to <see cref="CurrentVersion"/>): the
    /// common fields, the kept blocks (distinct, ascending, within 1..<see cref="Depth"/>), the widths, and the method's
    /// section by the method's own format (a method unknown here keeps its section as read). Version 1 and 2 fields move
    /// into the section.</summary>
    /// <exception cref="SlsInputException">naming <paramref name="path"/>: missing, a folder, not JSON, not an index, a newer
    /// version, or a field that is missing or invalid (named as the file spells it).</exception>
    public static PruningIndex Load(string path)
    {
        if (Directory.Exists(path)) throw new SlsInputException(path, "is a folder; a pruning index file (*.sls.json, as sls prune writes) is "
            + "expected here");
        if (!File.Exists(path)) throw new SlsInputException(path, "index file not found");
        PruningIndex? index;
        try
        {
            string text = InputFile.ReadAllText(path, InputFile.MaxTextBytes, "a pruning index");
            JsonKeys.RefuseDuplicates(path, text);
            index = JsonSerializer.Deserialize<PruningIndex>(text, Json);
        }
        catch (JsonException e)
        {
            throw new SlsInputException(path, $"not a valid pruning index: {JsonErrors.Describe(e)}");
        }
        if (index is null || index.Format != FormatName)
            throw new SlsInputException(path, $"not a pruning index (format is '{index?.Format}', expected '{FormatName}')");
        if (index.Version > CurrentVersion)
            throw new SlsInputException(path, $"index version {index.Version} is newer than this tool reads ({CurrentVersion})");
        PruningIndexFields.Check(path, index);
        var kept = index.KeptBlocks;
        if (index.Version == 1 && !kept.SequenceEqual(Enumerable.Range(1, kept.Count)))
            throw new SlsInputException(path, "kept_blocks must be 1..k in a version 1 index");
        if (kept.Count == 0 || kept[0] < 1 || kept[^1] > index.Depth || kept.Zip(kept.Skip(1)).Any(p => p.First >= p.Second))
            throw new SlsInputException(path, $"kept_blocks must be distinct, ascending and within 1..{index.Depth}, and not empty");
        if (index.Width is { } width && width.Select(w => w.Block).Distinct().Count() != width.Count)
            throw new SlsInputException(path, "a block is listed twice under width");
        return index with { Section = ReadSection(path, index), Beyond = null };
    }

    /// <summary>The method's section: in a version 3 index the object under the method's name, with its version; in
    /// versions 1 and 2 the method's top-level fields (<see cref="IIndexSectionFormat.LegacyFields"/>), moved into it.
    /// A method this tool does not know keeps its section as read.</summary>
    private static IIndexSection? ReadSection(string path, PruningIndex index)
    {
        var format = IndexSections.Find(index.Method);
        var beyond = index.Beyond ?? new Dictionary<string, JsonElement>();
        if (index.Version < 3)
        {
            var moved = format is null ? new JsonObject { ["version"] = 1 } : new JsonObject();
            foreach (var name in format?.LegacyFields ?? LegacyFields)
                if (beyond.TryGetValue(name, out var value)) moved[name] = JsonNode.Parse(value.GetRawText());
            if (format is null) return moved.Count == 1 ? null : new RawSection(moved);
            return format.Read(moved, new SectionSource(path, "", index));
        }
        if (!beyond.TryGetValue(index.Method, out var section) || section.ValueKind == JsonValueKind.Null)
            return format is null ? null : throw new SlsInputException(path, $"field '{index.Method}' is missing or null (the {index.Method} "
                + $"method's section)");
        if (section.ValueKind != JsonValueKind.Object)
            throw new SlsInputException(path, $"not a valid pruning index: field '{index.Method}' must be an object");
        var json = JsonNode.Parse(section.GetRawText())!.AsObject();
        string version = $"{index.Method}.version";
        if (!json.TryGetPropertyValue("version", out var v) || v is null) throw new SlsInputException(path, $"field '{version}' is missing or null");
        if (v.GetValueKind() != JsonValueKind.Number || !v.AsValue().TryGetValue(out int n) || n < 1)
            throw new SlsInputException(path, $"not a valid pruning index: field '{version}' must be a positive integer");
        if (format is null) return new RawSection(json);
        if (n > format.Version)
            throw new SlsInputException(path, $"field '{version}' is {n}, newer than this tool reads ({format.Version})");
        return format.Read(json, new SectionSource(path, index.Method + ".", index));
    }

    /// <summary>What to build: the kept blocks (0-based) and the widths. Heads and units are checked against
    /// the backbone when the plan is applied (<see cref="ModelPlan.Validate"/>).</summary>
    public ModelPlan ToPlan() => new(Depth, KeptBlocks.Select(b => b - 1).ToArray(),
        Width?.ToDictionary(w => w.Block - 1, w => new BlockWidth(w.Heads, w.MlpUnits, w.HeadDims)));

    /// <summary>The check that the model is built from the files this index was computed for.</summary>
    public FingerprintCheck Fingerprints(string indexPath, bool allowMismatch) => new(indexPath, Backbone, Petl, allowMismatch);

    /// <summary>An index computed with a PETL file builds its model only with one (the backbone's own head is another model),
    /// and one computed without builds its model only without (another file's adapters and head are another model, whose
    /// layers the index never scored), unless <paramref name="allowMismatch"/>.</summary>
    /// <exception cref="SlsInputException">naming <paramref name="indexPath"/> when <paramref name="petl"/> is missing or
    /// not expected.</exception>
    public void RequirePetl(string indexPath, string? petl, bool allowMismatch)
    {
        if (Petl is not null && petl is null) throw new SlsInputException(indexPath, "was computed with a PETL file: give it with --petl");
        if (Petl is null && petl is not null && !allowMismatch)
            throw new SlsInputException(indexPath, $"was computed without a PETL file (on the backbone's own adapters and head), not with "
                + $"{Printable.Escape(petl)}: leave --petl out, or pass --allow-mismatch to use it anyway");
    }
}
