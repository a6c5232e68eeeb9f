using System.Text.Json;
using System.Text.Json.Nodes;
using SlsPrune.Core.IO;

namespace SlsPrune.Core.Checkpoints;

/// <summary>
/// The files one checkpoint is read from: a single weights file; a folder in Hugging Face's layout whose
/// weights file (<c>model.safetensors</c>, else <c>pytorch_model.bin</c>) is picked and whose JSON side files
/// (<c>config.json</c>, <c>preprocessor_config.json</c>) travel with it for the converter to read what the shapes
/// do not say; or a PEFT LoRA adapter folder (<see cref="IsPeftAdapter"/>: <c>adapter_config.json</c> and
/// <c>adapter_model.safetensors</c>, else <c>adapter_model.bin</c>), a PETL source read by <see cref="PeftAdapter"/>.
/// A single file has no side files and is read exactly as before. Every layout's bytes and fingerprint are this
/// class's, from its <see cref="Files"/>.
/// </summary>
public sealed class CheckpointSource
{
    /// <summary>The weights files a folder may hold, in the order they are preferred.</summary>
    public static readonly IReadOnlyList<string> FolderWeights = ["model.safetensors", "pytorch_model.bin"];

    /// <summary>The side files a folder's converter may read.</summary>
    public static readonly IReadOnlyList<string> SideFileNames = ["config.json", "preprocessor_config.json"];

    /// <summary>Side files are small JSON; a larger one is refused before it is read.</summary>
    public const long MaxSideFileBytes = 16 << 20;

    private readonly Dictionary<string, JsonObject?> _json = new(StringComparer.Ordinal);

    private CheckpointSource(string path, string weightsFile, IReadOnlyDictionary<string, string> sideFiles, bool peft = false)
    {
        Path = path;
        WeightsFile = weightsFile;
        SideFiles = sideFiles;
        IsPeftAdapter = peft;
    }

    /// <summary>The path as given: the file, or the folder.</summary>
    public string Path { get; }

    public string WeightsFile { get; }

    public bool IsFolder => !string.Equals(Path, WeightsFile, StringComparison.Ordinal);

    /// <summary>A PEFT LoRA adapter folder: a PETL source (<see cref="ResolvePetl"/>), never a state dict of its own.</summary>
    public bool IsPeftAdapter { get; }

    /// <summary>Side file name to its path, for those present.</summary>
    public IReadOnlyDictionary<string, string> SideFiles { get; }

    /// <summary>Every file the checkpoint is read from: the weights file, then the side files (a PEFT adapter folder:
    /// its config, then its weights, the order its fingerprint has always had).</summary>
    public IReadOnlyList<string> Files => IsPeftAdapter ? [SideFiles[PeftAdapter.ConfigName], WeightsFile]
        : [WeightsFile, .. SideFileNames.Where(SideFiles.ContainsKey).Select(n => SideFiles[n])];

    /// <summary>A state dict's files: a file as itself (even when it does not exist: opening it says so); a folder
    /// through its weights file.</summary>
    /// <exception cref="SlsInputException">for a folder without a weights file, with a sharded one, or a PEFT adapter folder.</exception>
    public static CheckpointSource Resolve(string path) => Directory.Exists(path) && IsPeftFolder(path)
        ? throw new SlsInputException(path, $"is a PEFT adapter folder ({PeftAdapter.ConfigName}): sls reads it only as --petl, merged into the "
            + $"backbone's weights; what needs the adapters as modules (retraining, width pruning) needs an sls PETL file")
        : ResolveAny(path);

    /// <summary>A PETL source (<c>--petl</c>): a file (an sls PETL file), or a PEFT adapter folder.</summary>
    /// <exception cref="SlsInputException">for another folder, or a PEFT folder without its weights.</exception>
    public static CheckpointSource ResolvePetl(string path) => Directory.Exists(path) && !IsPeftFolder(path)
        ? throw new SlsInputException(path, $"is a folder without {PeftAdapter.ConfigName}; --petl expects a PETL file (.safetensors, as sls train "
            + $"writes) or a PEFT adapter folder")
        : ResolveAny(path);

    private static bool IsPeftFolder(string path) => File.Exists(System.IO.Path.Combine(path, PeftAdapter.ConfigName));

    private static CheckpointSource ResolveAny(string path)
    {
        if (!Directory.Exists(path)) return new CheckpointSource(path, path, new Dictionary<string, string>());
        if (IsPeftFolder(path))
        {
            var adapter = PeftAdapter.WeightNames.Select(n => System.IO.Path.Combine(path, n)).FirstOrDefault(File.Exists)
                ?? throw new SlsInputException(path, $"a PEFT adapter folder needs {string.Join(" or ", PeftAdapter.WeightNames)} beside "
                    + $"{PeftAdapter.ConfigName}; found neither");
            return new CheckpointSource(path, adapter, new Dictionary<string, string>
            {
                [PeftAdapter.ConfigName] = System.IO.Path.Combine(path,
                PeftAdapter.ConfigName)
            }, peft: true);
        }
        var weights = FolderWeights.Select(n => System.IO.Path.Combine(path, n)).FirstOrDefault(File.Exists);
        if (weights is null)
        {
            if (File.Exists(System.IO.Path.Combine(path, "model.safetensors.index.json")) || File.Exists(System.IO.Path.Combine(path,
                "pytorch_model.bin.index.json")))
                throw new SlsInputException(path, "holds a sharded checkpoint (*.index.json); sharded weights are not supported, save them as "
                    + "one file");
            throw new SlsInputException(path, $"is a folder, and a checkpoint folder needs {string.Join(" or ", FolderWeights)} (Hugging Face's "
                + $"layout); found neither (or give the checkpoint file itself)");
        }
        var side = SideFileNames.Select(n => (n, p: System.IO.Path.Combine(path, n))).Where(x => File.Exists(x.p)).ToDictionary(x => x.n, x => x.p,
            StringComparer.Ordinal);
        return new CheckpointSource(path, weights, side);
    }

    /// <summary>Bytes of every file read.</summary>
    public long Bytes => Files.Sum(f => new FileInfo(f).Length);

    /// <summary>A file's own fingerprint; a folder's is the SHA-256 of its files' manifest (<see cref="FileHash.Manifest"/>).</summary>
    public FileFingerprint Fingerprint() => IsFolder
        ? new FileFingerprint(System.IO.Path.GetFullPath(Path), FileHash.Manifest(Files))
        : FileHash.Fingerprint(Path);

    /// <summary>A side file parsed as a JSON object, or null when the folder has none.</summary>
    /// <exception cref="SlsInputException">naming the side file when it is not a JSON object.</exception>
    public JsonObject? Json(string name)
    {
        if (_json.TryGetValue(name, out var cached)) return cached;
        JsonObject? parsed = null;
        if (SideFiles.TryGetValue(name, out var file))
        {
            string text = InputFile.ReadAllText(file, MaxSideFileBytes, $"{("aeiou".Contains(name[0], StringComparison.Ordinal) ? "an" : "a")} "
                + $"{name}");
            try
            {
                parsed = SideFileJson.Parse(file, text);
            }
            catch (JsonException e)
            {
                throw new SlsInputException(file, $"is not valid JSON ({e.Message})");
            }
        }
        _json[name] = parsed;
        return parsed;
    }
}
