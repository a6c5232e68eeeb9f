using System.Text.Json;
using System.Text.Json.Serialization;

namespace SlsPrune.Core.Pruning;

/// <summary>A file a pruning index was computed from: where it was and its SHA-256.</summary>
public sealed record FileFingerprint(string Path, string Sha256);

/// <summary>The calibration data the scores came from, and the precision its features were computed in.</summary>
public sealed record CalibrationInfo(string Task, string Split, int Samples, int Classes, int Seed, string Precision = "fp32");

/// <summary>The t-SNE settings used (scikit-learn's names).</summary>
public sealed record TsneSettings(int Components, double Perplexity, double EarlyExaggeration, string LearningRate, int MaxIter, string Init, string Method);

/// <summary>
/// The pruning index (<c>*.sls.json</c>): all a pruned model needs besides the shared backbone and the PETL
/// file — which leading blocks to keep — plus how that was decided and the hashes of the files it was
/// decided for.
/// </summary>
public sealed record PruningIndex
{
    public const string FormatName = "slsprune-index";
    public const int CurrentVersion = 1;

    public string Format { get; init; } = FormatName;

    public int Version { get; init; } = CurrentVersion;

    public string Method { get; init; } = "sls";

    public required string Metric { get; init; }

    public required double Alpha { get; init; }

    /// <summary>Null when the guard applied (the top layer separates nothing).</summary>
    public double? Threshold { get; init; }

    public required int Depth { get; init; }

    /// <summary>1-based indices of the kept blocks (always 1..k for SLS).</summary>
    public required IReadOnlyList<int> KeptBlocks { get; init; }

    /// <summary>Score of each layer 1..depth.</summary>
    public required IReadOnlyList<double> Scores { get; init; }

    public required string Decision { get; init; }

    public required CalibrationInfo Calibration { get; init; }

    public required TsneSettings Tsne { get; init; }

    public required FileFingerprint Backbone { get; init; }

    public required FileFingerprint Petl { get; init; }

    public string? Tool { get; init; }

    public DateTimeOffset? Created { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public void Save(string path) => AtomicFile.Write(path, s => JsonSerializer.Serialize(s, this, Json));

    public static PruningIndex Load(string path)
    {
        if (!File.Exists(path)) throw new SlsInputException(path, "index file not found");
        PruningIndex? index;
        try
        {
            index = JsonSerializer.Deserialize<PruningIndex>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new SlsInputException(path, $"not a valid pruning index ({e.Message})");
        }
        if (index is null || index.Format != FormatName)
            throw new SlsInputException(path, $"not a pruning index (format is '{index?.Format}', expected '{FormatName}')");
        if (index.Version > CurrentVersion)
            throw new SlsInputException(path, $"index version {index.Version} is newer than this tool reads ({CurrentVersion})");
        var kept = index.KeptBlocks;
        if (kept.Count == 0 || kept.Count > index.Depth || !kept.SequenceEqual(Enumerable.Range(1, kept.Count)))
            throw new SlsInputException(path, "kept_blocks must be 1..k with 1 <= k <= depth");
        if (index.Scores.Count != index.Depth)
            throw new SlsInputException(path, $"{index.Scores.Count} scores for depth {index.Depth}");
        return index;
    }
}
