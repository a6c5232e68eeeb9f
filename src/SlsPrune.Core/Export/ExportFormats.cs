namespace SlsPrune.Core.Export;

/// <summary>The formats <c>sls export</c> writes.</summary>
public static class ExportFormats
{
    /// <summary>Every format, by <see cref="IExportFormat.Name"/> (matched in any case by <see cref="Get"/>): safetensors
    /// (the pruned weights, PETL merged where exact) and ONNX (the whole forward pass as a graph).</summary>
    public static readonly IReadOnlyList<IExportFormat> All = [
        new SafetensorsExport(),
        new OnnxExport(),
    ];

    /// <exception cref="SlsInputException">naming <c>--format</c> and the formats known.</exception>
    public static IExportFormat Get(string name) => All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new SlsInputException("--format",
            $"unknown format '{Printable.Escape(name)}' (known: {string.Join(", ", All.Select(f => f.Name))})");
}
