namespace SlsPrune.Core.Export;

/// <summary>The formats <c>sls export</c> writes.</summary>
public static class ExportFormats
{
    public static readonly IReadOnlyList<IExportFormat> All =
    [
        new SafetensorsExport(),
        new OnnxExport(),
    ];

    /// <exception cref="SlsInputException">naming <c>--format</c> and the formats known.</exception>
    public static IExportFormat Get(string name) => All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new SlsInputException("--format", $"unknown format '{Printable.Escape(name)}' (known: {string.Join(", ", All.Select(f => f.Name))})");
}
