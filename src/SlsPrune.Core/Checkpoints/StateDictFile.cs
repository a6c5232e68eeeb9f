using SlsPrune.Core.Checkpoints.Converters;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Checkpoints;

/// <summary>
/// A checkpoint seen through its converter (<see cref="StateDictConverters"/>): internal names and shapes at
/// once, without reading data; tensors read on demand. Where the converter only renames, only the tensors a
/// caller keeps are ever read (a pruned model never reads its dropped blocks); a converter that restructures
/// (Google's fused attention) is given every tensor, and what is not kept is dropped after converting.
/// </summary>
public sealed class StateDictFile : IDisposable
{
    private readonly ICheckpoint _file;
    private readonly Dictionary<string, string>? _sourceOf;   // internal name -> file name, for renaming converters

    private StateDictFile(ICheckpoint file, CheckpointSource source)
    {
        _file = file;
        Source = source;
        var names = file.Tensors.Select(t => t.Name).ToArray();
        Converter = StateDictConverters.For(names);
        using var scope = torch.NewDisposeScope();
        var meta = file.Tensors.ToDictionary(t => t.Name, t => torch.empty(t.Shape, device: torch.META), StringComparer.Ordinal);
        var converted = Converter.Convert(meta, file.Path);
        Shapes = converted.ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);
        RequireRanks(Shapes, file.Path);
        var byTensor = meta.ToDictionary(kv => kv.Value.Handle, kv => kv.Key);
        if (converted.Values.All(t => byTensor.ContainsKey(t.Handle)))
            _sourceOf = converted.ToDictionary(kv => kv.Key, kv => byTensor[kv.Value.Handle], StringComparer.Ordinal);
        RequireBlockIndexes(Shapes.Keys, file.Path);
        Hints = (ArchitectureHints.FromExport(file.Metadata, file.Path) ?? Converter.Hints(source)).WithRecordedSize(file.Metadata, Converter.Name,
            file.Path);
    }

    /// <summary>A checkpoint file, or a folder (<see cref="CheckpointSource"/>: its weights file is read, its side files
    /// give the <see cref="Hints"/>).</summary>
    public static StateDictFile Open(string path)
    {
        var source = CheckpointSource.Resolve(path);
        var file = CheckpointFile.Open(source.WeightsFile);
        try
        {
            return new StateDictFile(file, source);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The weights file read.</summary>
    public string Path => _file.Path;

    /// <summary>The files the checkpoint is read from (the weights file, or a folder and its side files).</summary>
    public CheckpointSource Source { get; }

    /// <summary>What the layout's side files say beyond the shapes (none for a single file of most layouts).</summary>
    public ArchitectureHints Hints { get; }

    public CheckpointFormat Format => _file.Format;

    public IReadOnlyList<TensorInfo> Tensors => _file.Tensors;

    public IReadOnlyDictionary<string, string> Metadata => _file.Metadata;

    public IStateDictConverter Converter { get; }

    /// <summary>Internal names and shapes.</summary>
    public IReadOnlyDictionary<string, long[]> Shapes { get; }

    /// <summary>The tensors (internal names) that <paramref name="keep"/> accepts, or all; NaN or infinite values
    /// are refused by name. <paramref name="patch"/> sees each tensor read under the file's own name, before the
    /// converter, and returns it or its replacement of the same shape (a PEFT adapter merged into its layer).</summary>
    public Dictionary<string, Tensor> Read(Func<string, bool>? keep = null, Func<string, Tensor, Tensor>? patch = null)
    {
        keep ??= _ => true;
        Dictionary<string, Tensor> weights;
        if (_sourceOf is not null)
        {
            weights = _sourceOf.Where(kv => keep(kv.Key)).ToDictionary(kv => kv.Key, kv => patch is null ? _file.Read(kv.Value) : patch(kv.Value,
                _file.Read(kv.Value)), StringComparer.Ordinal);
        }
        else
        {
            var all = CheckpointFile.ReadAll(_file);
            if (patch is not null)
                foreach (var name in all.Keys.ToList()) all[name] = patch(name, all[name]);
            var converted = Converter.Convert(all, _file.Path);
            weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (name, t) in converted)
            {
                if (keep(name)) weights[name] = t;
                else t.Dispose();
            }
            var kept = weights.Values.Select(w => w.Handle).ToHashSet();
            foreach (var t in all.Values) if (!t.IsInvalid
                && !kept.Contains(t.Handle)) t.Dispose();   // a dropped tensor the converter passed through is disposed already
        }
        RequireFinite(weights, _file.Path);
        return weights;
    }

    /// <summary>A layer's weight or bias is never a 0-d scalar, and the head's weight is a matrix: a file that
    /// says otherwise is refused here, before any shape is indexed.</summary>
    private static void RequireRanks(IReadOnlyDictionary<string, long[]> shapes, string source)
    {
        foreach (var (name, shape) in shapes)
        {
            if (shape.Length == 0 && (name.EndsWith(".weight", StringComparison.Ordinal) || name.EndsWith(".bias", StringComparison.Ordinal)))
                throw new SlsInputException(source, $"tensor '{name}' is a 0-d scalar; a layer's weight or bias has at least one dimension");
            if (name == "head.weight" && shape.Length != 2)
                throw new SlsInputException(source, $"tensor 'head.weight' has {shape.Length} dimensions; the head's weight is a matrix [classes, "
                    + $"width]");
        }
    }

    /// <summary>The most blocks a model may have (the deepest ViTs have 48).</summary>
    public const int MaxBlocks = 4096;

    /// <summary>A block's tensor (<c>blocks.{i}.rest</c>) whose index is past <see cref="MaxBlocks"/>, or past int, is
    /// refused by name: it would otherwise be skipped as not a block's, or make a model of billions of blocks.</summary>
    private void RequireBlockIndexes(IEnumerable<string> names, string source)
    {
        const string prefix = BlockKey.Prefix;
        foreach (var name in names)
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            int dot = name.IndexOf('.', prefix.Length);
            var digits = dot < 0 ? name.AsSpan(prefix.Length) : name.AsSpan(prefix.Length, dot - prefix.Length);
            if (digits.IsEmpty || digits.ContainsAnyExceptInRange('0', '9')) continue;
            if (int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int b)
                && b < MaxBlocks) continue;
            string own = _sourceOf?.GetValueOrDefault(name) ?? name;
            throw new SlsInputException(source, $"tensor '{Printable.Escape(own)}' has block index {digits}; a model has at most {MaxBlocks} blocks");
        }
    }

    /// <summary>NaN or infinite weights make every output NaN (or crash a kernel): refused by name.</summary>
    public static void RequireFinite(IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        foreach (var (name, w) in weights)
        {
            if (!w.is_floating_point()) continue;
            using var finite = torch.isfinite(w).all();
            if (!finite.item<bool>()) throw new SlsInputException(source, $"tensor '{name}' holds NaN or infinite values");
        }
    }

    public void Dispose() => _file.Dispose();
}
