using TorchSharp;

namespace SlsPrune.Core.Checkpoints;

/// <summary>Reads any supported checkpoint into a timm-named state dict: Google .npz names are converted,
/// a DataParallel <c>module.</c> prefix is removed.</summary>
public static class StateDictReader
{
    /// <param name="maxBlocks">when given, tensors of blocks at or past this index are left out (and, for
    /// timm-named files, never read).</param>
    /// <param name="keepBlock">which blocks' weights to read (null: all); the others are never read.</param>
    public static Dictionary<string, torch.Tensor> ReadTimm(ICheckpoint checkpoint, Func<int, bool>? keepBlock = null)
    {
        bool Keep(string timmName) => keepBlock is null || BlockOf(timmName) is not int b || keepBlock(b);
        if (GoogleVitConverter.IsGoogleVit(checkpoint.Tensors.Select(t => t.Name)))
        {
            var converted = GoogleVitConverter.ToTimm(CheckpointFile.ReadAll(checkpoint), checkpoint.Path);
            var kept = converted.Where(kv => Keep(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            RequireFinite(kept, checkpoint.Path);
            return kept;
        }
        int strip = PrefixLength(checkpoint.Tensors.Select(t => t.Name));
        var raw = CheckpointFile.ReadAll(checkpoint, n => Keep(n[strip..]));
        var weights = raw.ToDictionary(kv => kv.Key[strip..], kv => kv.Value, StringComparer.Ordinal);
        RequireFinite(weights, checkpoint.Path);
        return weights;
    }

    /// <summary>NaN or infinite weights make every output NaN (or crash a kernel): refused by name.</summary>
    public static void RequireFinite(IReadOnlyDictionary<string, torch.Tensor> weights, string source)
    {
        foreach (var (name, w) in weights)
        {
            if (!w.is_floating_point()) continue;
            using var finite = torch.isfinite(w).all();
            if (!finite.item<bool>()) throw new SlsInputException(source, $"tensor '{name}' holds NaN or infinite values");
        }
    }

    /// <summary>timm names and shapes of a checkpoint's tensors, without reading any data (npz shapes are
    /// mapped the way <see cref="GoogleVitConverter"/> maps the arrays).</summary>
    public static Dictionary<string, long[]> TimmShapes(ICheckpoint checkpoint)
    {
        Dictionary<string, long[]> shapes;
        if (GoogleVitConverter.IsGoogleVit(checkpoint.Tensors.Select(t => t.Name)))
        {
            using var scope = torch.NewDisposeScope();
            var meta = checkpoint.Tensors.ToDictionary(t => t.Name, t => torch.empty(t.Shape, device: torch.META), StringComparer.Ordinal);
            shapes = GoogleVitConverter.ToTimm(meta, checkpoint.Path).ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);
        }
        else
        {
            int strip = PrefixLength(checkpoint.Tensors.Select(t => t.Name));
            shapes = checkpoint.Tensors.ToDictionary(t => t.Name[strip..], t => t.Shape, StringComparer.Ordinal);
        }
        RequireRanks(shapes, checkpoint.Path);
        return shapes;
    }

    /// <summary>A layer's weight or bias is never a 0-d scalar, and the head's weight is a matrix: a file that
    /// says otherwise is refused here, before any shape is indexed.</summary>
    private static void RequireRanks(Dictionary<string, long[]> shapes, string source)
    {
        foreach (var (name, shape) in shapes)
        {
            if (shape.Length == 0 && (name.EndsWith(".weight", StringComparison.Ordinal) || name.EndsWith(".bias", StringComparison.Ordinal)))
                throw new SlsInputException(source, $"tensor '{name}' is a 0-d scalar; a layer's weight or bias has at least one dimension");
            if (name == "head.weight" && shape.Length != 2)
                throw new SlsInputException(source, $"tensor 'head.weight' has {shape.Length} dimensions; the head's weight is a matrix [classes, width]");
        }
    }

    /// <summary>The block index of a timm name (<c>blocks.3.attn.qkv.weight</c> is 3), or null.</summary>
    public static int? BlockOf(string key)
    {
        if (!key.StartsWith("blocks.", StringComparison.Ordinal)) return null;
        int end = key.IndexOf('.', 7);
        return end > 7 && int.TryParse(key.AsSpan(7, end - 7), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int b) ? b : null;
    }

    /// <summary>Wrappers' prefixes dropped from every name: DataParallel's <c>module.</c> and PEFT's
    /// <c>base_model.model.</c> (when every name has it).</summary>
    private static int PrefixLength(IEnumerable<string> names)
    {
        var list = names.ToList();
        foreach (var prefix in new[] { "base_model.model.", "module." })
            if (list.Count > 0 && list.All(n => n.StartsWith(prefix, StringComparison.Ordinal))) return prefix.Length;
        return 0;
    }
}
