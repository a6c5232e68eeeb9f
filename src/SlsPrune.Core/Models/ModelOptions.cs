using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Runtime;

namespace SlsPrune.Core.Models;

/// <summary>What the user gives to build a model: files and the settings shapes cannot reveal. Every command
/// that loads a model takes these. <see cref="AllowMismatch"/>: use a PETL file (or an index) recorded for other files (fingerprints). <see
/// cref="ImageSize"/>: the input size of a family whose tensors do not show it
/// (Swin; default: the named variant's, else 224); a ViT's default is its position embedding's, and another size
/// resamples that embedding. <see cref="Activation"/>: a ViT's MLP activation (<c>gelu</c>, <c>quick_gelu</c>), which
/// no checkpoint states (default: the layout's, else gelu).</summary>
public sealed record ModelOptions(
    string Backbone,
    string? Petl = null,
    int? Heads = null,
    string? ModelName = null,
    PetlMethod? PetlMethod = null,
    int? PetlDim = null,
    double? PetlScale = null,
    bool Merge = false,
    Precision Precision = Precision.Fp32,
    string Device = "auto",
    int BatchSize = ModelOptions.DefaultBatchSize,
    bool AllowMismatch = false,
    int? ImageSize = null,
    string? Activation = null)
{
    /// <summary>Use a head on data whose classes differ from those it was trained on (a deliberate re-mapping by
    /// index), or the backbone's own head on a task with other classes (<c>--allow-class-mismatch</c>).</summary>
    public bool AllowClassMismatch { get; init; }

    /// <summary>Every setting at its default (the backbone empty): the one place the command line's options and a batch
    /// manifest read them from.</summary>
    public static readonly ModelOptions Defaults = new("");

    /// <summary>Images per forward batch where none is given (<c>sls eval --engine onnxruntime</c> shares it).</summary>
    public const int DefaultBatchSize = 64;
}
