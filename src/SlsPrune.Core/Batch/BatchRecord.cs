using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SlsPrune.Core.IO;

namespace SlsPrune.Core.Batch;

/// <summary>One task a batch was asked for: its name, group and prune method (a report's row when its result is missing).</summary>
public sealed record ExpectedTask(string Name, string? Group, string Method);

/// <summary>
/// What a manifest asks a results folder to hold, recorded by every <c>sls batch</c> run (every shard, the same
/// file, written atomically) in <c>OUT/batches/NAME.HASH.json</c> (NAME: the manifest's file name, HASH: of its full
/// path; several manifests may fill one folder), so that <c>sls report</c> can say which tasks are missing or failed
/// without being given the manifest again.
/// </summary>
public sealed record BatchRecord(string Manifest, IReadOnlyList<ExpectedTask> Tasks)
{
    /// <summary>The backbone the batch ran on (path and SHA-256); null in records of older folders.</summary>
    public FileFingerprint? Backbone { get; init; }

    public static string Folder(string outDir) => Path.Combine(outDir, "batches");

    public static BatchRecord Of(BatchManifest m, FileFingerprint? backbone = null) => new(Path.GetFullPath(m.Source),
        [.. m.Tasks.Select(t => new ExpectedTask(t.Name, t.Group, (t.Settings ?? new()).Over(m.Defaults).Method ?? BatchDefaults.Method))])
    {
        Backbone = backbone,
    };

    /// <summary>A results folder holds one backbone's results: a batch on another backbone (another manifest's, or this
    /// manifest's after its backbone changed) would replace some tasks' results and leave the others, and the report
    /// would average the two models as one.</summary>
    /// <exception cref="SlsInputException">naming <paramref name="outDir"/> and the record of the other backbone.</exception>
    public static void CheckOneBackbone(string outDir, FileFingerprint backbone)
    {
        foreach (var r in ReadAll(outDir))
            if (r.Backbone is { } other && !other.Matches(backbone.Sha256))
                throw new SlsInputException(outDir, $"holds the results of {Printable.Escape(r.Manifest)} on another backbone "
                    + $"({Printable.Escape(other.Path)}, SHA-256 {Printable.Escape(other.Sha256[..Math.Min(12, other.Sha256.Length)])}...), not "
                    + $"{Printable.Escape(backbone.Path)} ({backbone.Sha256[..12]}...): a results folder is for one backbone (choose another --out)");
    }

    public static string PathOf(string outDir, string manifest)
    {
        string full = Path.GetFullPath(manifest);
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(full)))[..12];
        return Path.Combine(Folder(outDir), $"{Path.GetFileNameWithoutExtension(full)}.{hash}.json");
    }

    public void Write(string outDir) => AtomicFile.Write(PathOf(outDir, Manifest), s => JsonSerializer.Serialize(s, this, BatchRunner.Json));

    /// <summary>Every record in the folder (none: an older folder, or one no batch wrote), by file name.</summary>
    /// <exception cref="SlsInputException">for a record that is not one.</exception>
    public static IReadOnlyList<BatchRecord> ReadAll(string outDir)
    {
        string dir = Folder(outDir);
        if (!Directory.Exists(dir)) return [];
        var records = new List<BatchRecord>();
        foreach (string file in Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal))
        {
            BatchRecord? r;
            try
            {
                r = JsonSerializer.Deserialize<BatchRecord>(InputFile.ReadAllBytes(file, InputFile.MaxTextBytes, "a batch record"), BatchRunner.Json);
            }
            catch (JsonException e)
            {
                throw new SlsInputException(file, $"not a batch record ({JsonErrors.Describe(e)}); remove it, and the next 'sls batch' run writes "
                    + $"it again");
            }
            if (r?.Tasks is null || r.Manifest is null || r.Tasks.Any(t => t?.Name is null))
                throw new SlsInputException(file, "not a batch record (manifest and tasks are required); remove it, and the next 'sls batch' run "
                    + "writes it again");
            records.Add(r);
        }
        return records;
    }
}
