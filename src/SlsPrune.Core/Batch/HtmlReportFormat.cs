namespace SlsPrune.Core.Batch;

/// <summary>The report as one self-contained HTML page with the figures (<see cref="HtmlReport"/>).</summary>
public sealed class HtmlReportFormat : IReportFormat
{
    public string Name => "html";
    public string? Note => "one self-contained page with the figures";

    public ReportText Write(string folder, Expected? expected) =>
        new(HtmlReport.Build(folder, expected), expected is null ? null : BatchReport.Load(folder, expected).Completeness);
}
