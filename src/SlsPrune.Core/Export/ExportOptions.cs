using SlsPrune.Core.Models;

namespace SlsPrune.Core.Export;

/// <summary>Options of <c>sls export</c>: the model (with <see cref="ModelOptions.Merge"/> folding adapters where
/// exact and <see cref="ModelOptions.Precision"/> the stored precision), an optional pruning index, the format's
/// name (<see cref="ExportFormats"/>) and the output file.</summary>
public sealed record ExportOptions(ModelOptions Model, string Format, string Out, string? Index = null, bool AllowMismatch = false)
{
    /// <summary>Every setting at its default (model, format and output empty).</summary>
    public static readonly ExportOptions Defaults = new(ModelOptions.Defaults, "", "");
}

/// <summary>What <c>sls export</c> wrote.</summary>
public sealed record ExportResult(string Format, string Path, long Bytes, string Sha256, string Family, int Blocks, int FullDepth,
    IReadOnlyList<int> KeptBlocks, string Petl, bool Merged, string Precision, int Classes);
