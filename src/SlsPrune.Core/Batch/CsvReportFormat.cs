namespace SlsPrune.Core.Batch;

/// <summary>The report as CSV (<see cref="BatchReport.ToCsv"/>).</summary>
public sealed class CsvReportFormat : IReportFormat
{
    public string Name => "csv";
    public string? Note => null;

    public ReportText Write(string folder, Expected? expected)
    {
        var report = BatchReport.Load(folder, expected);
        return new ReportText(report.ToCsv(), report.Completeness);
    }
}
