namespace SlsPrune.Core.Checkpoints;

/// <summary>
/// What a checkpoint's layout says about the model beyond its tensor shapes (a Hugging Face folder's
/// <c>config.json</c> and <c>preprocessor_config.json</c>): the head count, the LayerNorm epsilon, the input
/// normalisation, the class labels and the MLP's activation (<c>gelu</c> or <c>quick_gelu</c>: OpenAI's CLIP layout). Null: the layout does not say,
/// and the family's defaults (the variants
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

    /// <summary>The largest LayerNorm epsilon a file may state: in practice 1e-12 to 1e-5; an epsilon near a feature's variance
    /// flattens every LayerNorm's output (1e300 ran at chance).</summary>
    public const double MaxLayerNormEps = 0.1;

    /// <summary>Whether <paramref name="eps"/> is an epsilon within (0, <see cref="MaxLayerNormEps"/>].</summary>
    public static bool IsLayerNormEps(double eps) => eps is > 0 and <= MaxLayerNormEps;

    /// <summary>The patch size the layout's side file states (a Hugging Face config's <c>patch_size</c>), which the weights'
    /// patch embedding must agree with; null: it does not say.</summary>
    public int? PatchSize { get; init; }

    /// <summary>The file that states <see cref="PatchSize"/>, named where the weights contradict it.</summary>
    public string? PatchSizeSource { get; init; }

    /// <summary>The input size the checkpoint records (<c>sls pretrain</c>'s or <c>sls export</c>'s <c>image_size</c>
    /// metadata); null: it does not say, and a family whose tensors do not show it assumes one.</summary>
    public int? ImageSize { get; init; }

    /// <summary>Where <see cref="ImageSize"/> comes from, in words.</summary>
    public string? ImageSizeSource { get; init; }

    /// <summary>Why the checkpoint does not say its input size (null where it does), naming its layout (its
    /// converter's name: <c>torchvision-swin</c>, <c>timm</c>...): said where a family has to assume one.</summary>
    public string? ImageSizeUnrecorded { get; init; }

    /// <summary>The largest input size a file's metadata may state.</summary>
    public const int MaxImageSize = 1 << 16;

    /// <summary>These hints with the input size the file's metadata records: <c>image_size</c>, where
    /// <c>sls pretrain</c> (<c>slsprune-backbone/1</c>), <c>sls export</c> (<c>sls-export/1</c>) or another writer put
    /// it. An export whose own size was assumed (<c>image_size_from</c> <c>assumed</c>) records no size. A value that
    /// is not a size is refused in this tool's own files and ignored in others.</summary>
    public ArchitectureHints WithRecordedSize(IReadOnlyDictionary<string, string> metadata, string layout, string source)
    {
        var hints = this with { ImageSizeUnrecorded = $"the input size is not recorded in a {layout} checkpoint" };
        if (!metadata.TryGetValue("image_size", out var text)) return hints;
        metadata.TryGetValue("format", out var format);
        bool own = format is "sls-export/1" or "slsprune-backbone/1";
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int size) || size <= 0
            || size > MaxImageSize)
            return own ? throw new SlsInputException(source, $"metadata image_size '{Printable.Escape(text)}' is not a size in pixels (1 to "
                + $"{MaxImageSize})") : hints;
        if (metadata.TryGetValue("image_size_from", out var from) && from == "assumed")
            return hints with { ImageSizeUnrecorded = $"the input size {size} in the file's metadata was itself assumed when it was written" };
        string what = format switch
        {
            "sls-export/1" => "the file's sls export metadata",
            "slsprune-backbone/1" => "the file's sls pretrain metadata",
            _ => "the file's metadata (image_size)",
        };
        return hints with { ImageSize = size, ImageSizeSource = what };
    }

    /// <summary>What a file written by <c>sls export</c> says of itself in its metadata (<c>format</c> <c>sls-export/1</c>):
    /// heads, LayerNorm epsilon, mean and std; null for any other file.</summary>
    public static ArchitectureHints? FromExport(IReadOnlyDictionary<string, string> metadata, string source)
    {
        if (!metadata.TryGetValue("format", out var f) || f != "sls-export/1") return null;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        int? heads = metadata.TryGetValue("heads", out var h) ? int.TryParse(h, System.Globalization.NumberStyles.Integer, inv, out int hv) && hv > 0
            ? hv
            : throw new SlsInputException(source, $"metadata heads '{Printable.Escape(h)}' is not a positive integer") : null;
        double? eps = metadata.TryGetValue("layer_norm_eps", out var e) ? double.TryParse(e, System.Globalization.NumberStyles.Float, inv,
            out double ev) && IsLayerNormEps(ev) ? ev
            : throw new SlsInputException(source, $"metadata layer_norm_eps '{Printable.Escape(e)}' is not a number within (0, {MaxLayerNormEps}]")
            : null;
        float[]? Floats(string key) => metadata.TryGetValue(key, out var v)
            ? v.Split(',').Select(p => float.TryParse(p, System.Globalization.NumberStyles.Float, inv, out float x) && float.IsFinite(x) ? x
                : throw new SlsInputException(source, $"metadata {key} '{Printable.Escape(v)}' is not a list of numbers")).ToArray()
            : null;
        string? act = metadata.TryGetValue("act", out var a) ? a is "gelu" or "quick_gelu" ? a
            : throw new SlsInputException(source, $"metadata act '{Printable.Escape(a)}' is not gelu or quick_gelu") : null;
        var std = Floats("std");
        if (std is not null && std.Any(x => !(x >= 1e-6f)))
            throw new SlsInputException(source, $"metadata std '{Printable.Escape(metadata["std"])}' has a value that is not positive (the input "
                + $"is divided by it)");
        var labels = ClassNamesMetadata.Read(metadata, source);
        // an export's head is the task's: the names it was trained on come with it (checked against the data)
        return new ArchitectureHints(heads, eps, Floats("mean"), std, labels, Activation: act)
        {
            PreprocessingSource = "the file's sls export metadata"
        };
    }
}
