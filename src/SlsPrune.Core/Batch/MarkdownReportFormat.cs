namespace SlsPrune.Core.Batch;

/// <summary>The report as a Markdown table (<see cref="BatchReport.ToMarkdown"/>).</summary>
public sealed class MarkdownReportFormat : IReportFormat
{
    public string Name => "md";
    public string? Note => null;

    public ReportText Write(string folder, Expected? expected)
    {
        var report = BatchReport.Load(folder, expected);
        return new ReportText(report.ToMarkdown(), report.Completeness);
    }
}
