using TorchSharp;

namespace SlsPrune.Core.Checkpoints;

/// <summary>Reads any supported checkpoint into a timm-named state dict: Google .npz names are converted,
/// a DataParallel <c>module.</c> prefix is removed.</summary>
public static class StateDictReader
{
    /// <param name="maxBlocks">when given, tensors of blocks at or past this index are left out (and, for
    /// timm-named files, never read).</param>
    public static Dictionary<string, torch.Tensor> ReadTimm(ICheckpoint checkpoint, int? maxBlocks = null)
    {
        bool Keep(string timmName) => maxBlocks is null || BlockOf(timmName) is not int b || b < maxBlocks;
        if (GoogleVitConverter.IsGoogleVit(checkpoint.Tensors.Select(t => t.Name)))
        {
            var converted = GoogleVitConverter.ToTimm(CheckpointFile.ReadAll(checkpoint), checkpoint.Path);
            return converted.Where(kv => Keep(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        }
        bool strip = HasModulePrefix(checkpoint.Tensors.Select(t => t.Name));
        var raw = CheckpointFile.ReadAll(checkpoint, n => Keep(strip ? n["module.".Length..] : n));
        return strip ? raw.ToDictionary(kv => kv.Key["module.".Length..], kv => kv.Value, StringComparer.Ordinal) : raw;
    }

    /// <summary>timm names and shapes of a checkpoint's tensors, without reading any data (npz shapes are
    /// mapped the way <see cref="GoogleVitConverter"/> maps the arrays).</summary>
    public static Dictionary<string, long[]> TimmShapes(ICheckpoint checkpoint)
    {
        if (GoogleVitConverter.IsGoogleVit(checkpoint.Tensors.Select(t => t.Name)))
        {
            using var scope = torch.NewDisposeScope();
            var meta = checkpoint.Tensors.ToDictionary(t => t.Name, t => torch.empty(t.Shape, device: torch.META), StringComparer.Ordinal);
            return GoogleVitConverter.ToTimm(meta, checkpoint.Path).ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);
        }
        bool strip = HasModulePrefix(checkpoint.Tensors.Select(t => t.Name));
        return checkpoint.Tensors.ToDictionary(t => strip ? t.Name["module.".Length..] : t.Name, t => t.Shape, StringComparer.Ordinal);
    }

    /// <summary>Removes a DataParallel <c>module.</c> prefix from every key of a dictionary already read.</summary>
    public static Dictionary<string, T> StripModulePrefix<T>(Dictionary<string, T> d) =>
        HasModulePrefix(d.Keys) ? d.ToDictionary(kv => kv.Key["module.".Length..], kv => kv.Value, StringComparer.Ordinal) : d;

    /// <summary>The block index of a timm name (<c>blocks.3.attn.qkv.weight</c> is 3), or null.</summary>
    public static int? BlockOf(string key)
    {
        if (!key.StartsWith("blocks.", StringComparison.Ordinal)) return null;
        int end = key.IndexOf('.', 7);
        return end > 7 && int.TryParse(key.AsSpan(7, end - 7), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int b) ? b : null;
    }

    private static bool HasModulePrefix(IEnumerable<string> names)
    {
        bool any = false;
        foreach (var n in names)
        {
            if (!n.StartsWith("module.", StringComparison.Ordinal)) return false;
            any = true;
        }
        return any;
    }
}
