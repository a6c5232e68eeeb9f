using SlsPrune.Core.IO;
using System.Text.Json;
using System.Text.Json.Serialization;
using SlsPrune.Core.Fem;
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

/// <summary>Top-1 of the model cut after every block, without retraining (<see cref="Top1"/>[k-1]: blocks 1..k kept), on
/// a labelled split of <see cref="Images"/> images.</summary>
public sealed record DepthAccuracy(string Split, int Images, IReadOnlyList<double> Top1);

/// <summary>One step of the alpha sweep: for every alpha in (<see cref="From"/>, <see cref="To"/>] the rule keeps
/// <see cref="Kept"/> leading blocks.</summary>
public sealed record AlphaStep(double From, double To, int Kept);

/// <summary>One layer's score (layer 1-based).</summary>
public sealed record LayerScore(int Layer, double Score);

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
/// settings (methods that have them); version 1 files read unchanged.
/// </summary>
public sealed record PruningIndex
{
    public const string FormatName = "slsprune-index";
    public const int CurrentVersion = 2;

    public string Format { get; init; } = FormatName;

    public int Version { get; init; } = CurrentVersion;

    public string Method { get; init; } = "sls";

    /// <summary>How layers were scored (silhouette, block-influence, ...); for width methods the importance.</summary>
    public required string Metric { get; init; }

    public required double Alpha { get; init; }

    /// <summary>Null when the guard applied (the top layer separates nothing).</summary>
    public double? Threshold { get; init; }

    public required int Depth { get; init; }

    /// <summary>1-based indices of the kept blocks, ascending (always 1..k for SLS).</summary>
    [JsonConverter(typeof(CompactIntList))]
    public required IReadOnlyList<int> KeptBlocks { get; init; }

    /// <summary>Width-pruned blocks: the heads and MLP units each keeps (absent: every kept block at full width).</summary>
    public IReadOnlyList<BlockWidthEntry>? Width { get; init; }

    /// <summary>Width methods: the fraction of heads and of MLP units pruned in every block.</summary>
    public double? Ratio { get; init; }

    /// <summary>Width methods: what storing every pruned backbone tensor per task would take, for comparison with
    /// the index, which stores kept-index lists because the backbone itself is untouched.</summary>
    public long? PrunedTensorBytes { get; init; }

    /// <summary>Score of each layer 1..depth (layer-scoring methods).</summary>
    public IReadOnlyList<double>? Scores { get; init; }

    /// <summary>SLS with <c>--scoring needed</c> when it stopped before layer 1: the layers it scored, from the top down
    /// (<see cref="Scores"/> is then absent).</summary>
    public IReadOnlyList<LayerScore>? ScoresFromTop { get; init; }

    /// <summary>With several t-SNE seeds: the standard deviation of each layer's score over the seeds (<see cref="Scores"/> is the mean).</summary>
    public IReadOnlyList<double>? ScoreStd { get; init; }

    /// <summary>With several t-SNE seeds: the blocks each seed's scores would keep (the decision is the most common; ties keep more).</summary>
    public IReadOnlyList<int>? SeedKept { get; init; }

    /// <summary>SLS: the kept depth for every alpha in (0, 1], from the same scores.</summary>
    public IReadOnlyList<AlphaStep>? AlphaSweep { get; init; }

    /// <summary>SLS: top-1 of every depth without retraining.</summary>
    public DepthAccuracy? DepthAccuracy { get; init; }

    /// <summary>SLS: what decided the depth, <c>alpha</c> (the paper's rule; absent in older indexes) or <c>accuracy</c>.</summary>
    public string? Policy { get; init; }

    /// <summary>The accuracy policy's allowed drop, percentage points.</summary>
    public double? MaxDrop { get; init; }

    /// <summary>Step-by-step record of iterative methods (greedy layer pruning).</summary>
    public IReadOnlyList<string>? Steps { get; init; }

    /// <summary>Wall time of the method itself, seconds (model loading excluded).</summary>
    public double? MethodSeconds { get; init; }

    public required string Decision { get; init; }

    public required CalibrationInfo Calibration { get; init; }

    /// <summary>Class i's name, where the data names its classes (class folders, CSV label names, task.json).</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>The input size the scores were computed at and where it came from (<c>checkpoint</c>, <c>option</c>,
    /// <c>assumed</c>); absent in older indexes.</summary>
    public InputSizeOrigin? Input { get; init; }

    /// <summary>The t-SNE settings (SLS only).</summary>
    public TsneSettings? Tsne { get; init; }

    public required FileFingerprint Backbone { get; init; }

    /// <summary>The PETL file the index was computed with; absent when the backbone's own head classified (a full
    /// fine-tune or a classification checkpoint, pruned without --petl).</summary>
    public FileFingerprint? Petl { get; init; }

    public string? Tool { get; init; }

    public DateTimeOffset? Created { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // class names and paths as written (O'Brien, not O\u0027Brien); control characters are still escaped
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public void Save(string path) => AtomicFile.Write(path, s => JsonSerializer.Serialize(s, this, Json));

    public static PruningIndex Load(string path)
    {
        if (Directory.Exists(path)) throw new SlsInputException(path, "is a folder; a pruning index file (*.sls.json, as sls prune writes) is expected here");
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
        if (index.Scores is not null && index.Scores.Count != index.Depth)
            throw new SlsInputException(path, $"{index.Scores.Count} scores for depth {index.Depth}");
        if (index.ScoresFromTop is { } fromTop && (index.Scores is not null || fromTop.Count == 0 || fromTop.Count >= index.Depth
                || !fromTop.Select(s => s.Layer).SequenceEqual(Enumerable.Range(index.Depth - fromTop.Count + 1, fromTop.Count).Reverse())))
            throw new SlsInputException(path, $"scores_from_top must list layers {index.Depth}, {index.Depth - 1}, ... down to a layer above 1, in that order, in place of scores");
        if (index.Width is { } width && width.Select(w => w.Block).Distinct().Count() != width.Count)
            throw new SlsInputException(path, "a block is listed twice under width");
        return index;
    }

    /// <summary>What to build: the kept blocks (0-based) and the widths. Heads and units are checked against
    /// the backbone when the plan is applied (<see cref="ModelPlan.Validate"/>).</summary>
    public ModelPlan ToPlan() => new(Depth, KeptBlocks.Select(b => b - 1).ToArray(),
        Width?.ToDictionary(w => w.Block - 1, w => new BlockWidth(w.Heads, w.MlpUnits, w.HeadDims)));

    /// <summary>The check that the model is built from the files this index was computed for.</summary>
    public FingerprintCheck Fingerprints(string indexPath, bool allowMismatch) => new(indexPath, Backbone, Petl, allowMismatch);

    /// <summary>An index computed with a PETL file builds its model only with one (the backbone's own head is another model).</summary>
    /// <exception cref="SlsInputException">naming <paramref name="indexPath"/> when <paramref name="petl"/> is missing.</exception>
    public void RequirePetl(string indexPath, string? petl)
    {
        if (Petl is not null && petl is null) throw new SlsInputException(indexPath, "was computed with a PETL file: give it with --petl");
    }
}
