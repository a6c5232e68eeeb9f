namespace SlsPrune.Core.Checkpoints;

/// <summary>
/// What a checkpoint's layout says about the model beyond its tensor shapes (a Hugging Face folder's
/// <c>config.json</c> and <c>preprocessor_config.json</c>): the head count, the LayerNorm epsilon, the input
/// normalisation, the class labels and the MLP's activation (<c>gelu</c> or <c>quick_gelu</c>: OpenAI's CLIP layout). Null: the layout does not say, and the family's defaults (the variants
/// table, timm's 1e-6, ImageNet's mean and std) apply. Command-line options still override the head count.
/// </summary>
public sealed record ArchitectureHints(
    int? Heads = null,
    double? LayerNormEps = null,
    IReadOnlyList<float>? Mean = null,
    IReadOnlyList<float>? Std = null,
    IReadOnlyList<string>? Labels = null,
    string? Activation = null)
{
    /// <summary>Where the input normalisation comes from, in words (<c>sls inspect</c> says it); null: the family's default.</summary>
    public string? PreprocessingSource { get; init; }

    public static readonly ArchitectureHints None = new();

    /// <summary>What a file written by <c>sls export</c> says of itself in its metadata (<c>format</c> <c>sls-export/1</c>):
    /// heads, LayerNorm epsilon, mean and std; null for any other file.</summary>
    public static ArchitectureHints? FromExport(IReadOnlyDictionary<string, string> metadata, string source)
    {
        if (!metadata.TryGetValue("format", out var f) || f != "sls-export/1") return null;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        int? heads = metadata.TryGetValue("heads", out var h) ? int.TryParse(h, System.Globalization.NumberStyles.Integer, inv, out int hv) && hv > 0 ? hv
            : throw new SlsInputException(source, $"metadata heads '{Printable.Escape(h)}' is not a positive integer") : null;
        double? eps = metadata.TryGetValue("layer_norm_eps", out var e) ? double.TryParse(e, System.Globalization.NumberStyles.Float, inv, out double ev) && ev > 0 && double.IsFinite(ev) ? ev
            : throw new SlsInputException(source, $"metadata layer_norm_eps '{Printable.Escape(e)}' is not a positive number") : null;
        float[]? Floats(string key) => metadata.TryGetValue(key, out var v)
            ? v.Split(',').Select(p => float.TryParse(p, System.Globalization.NumberStyles.Float, inv, out float x) && float.IsFinite(x) ? x
                : throw new SlsInputException(source, $"metadata {key} '{Printable.Escape(v)}' is not a list of numbers")).ToArray()
            : null;
        string? act = metadata.TryGetValue("act", out var a) ? a is "gelu" or "quick_gelu" ? a
            : throw new SlsInputException(source, $"metadata act '{Printable.Escape(a)}' is not gelu or quick_gelu") : null;
        var std = Floats("std");
        if (std is not null && std.Any(x => !(x >= 1e-6f)))
            throw new SlsInputException(source, $"metadata std '{Printable.Escape(metadata["std"])}' has a value that is not positive (the input is divided by it)");
        return new ArchitectureHints(heads, eps, Floats("mean"), std, Activation: act) { PreprocessingSource = "the file's sls export metadata" };
    }
}
