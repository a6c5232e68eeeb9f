using System.Text.Json;

namespace SlsPrune.Core.Batch;

/// <summary>The report as one JSON document in the <c>--json</c> style (<see cref="JsonStyle"/>), a line end after it.</summary>
public sealed class JsonReportFormat : IReportFormat
{
    public string Name => "json";
    public string? Note => null;

    public ReportText Write(string folder, Expected? expected)
    {
        var report = BatchReport.Load(folder, expected);
        return new ReportText(JsonSerializer.Serialize(report, JsonStyle.Options) + Environment.NewLine, report.Completeness);
    }
}
