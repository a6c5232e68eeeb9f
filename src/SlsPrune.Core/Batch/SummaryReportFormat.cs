using System.Text;

namespace SlsPrune.Core.Batch;

/// <summary>The report as a CI step summary (GitHub's <c>$GITHUB_STEP_SUMMARY</c>, GitLab's Markdown artifacts): a heading,
/// one status line (complete, or which tasks are missing and failed), each failed task's stage and error, then the
/// Markdown table.</summary>
public sealed class SummaryReportFormat : IReportFormat
{
    public string Name => "summary";
    public string? Note => "Markdown for a CI step summary: status line, failures, then the table";

    public ReportText Write(string folder, Expected? expected)
    {
        var report = BatchReport.Load(folder, expected);
        return new ReportText(ToMarkdown(report, folder), report.Completeness);
    }

    public static string ToMarkdown(BatchReport report, string folder)
    {
        var tasks = report.Rows;
        int ok = tasks.Count(r => r.Status == "ok");
        var failed = tasks.Where(r => r.Status is not ("ok" or "missing")).ToList();
        int missing = tasks.Count(r => r.Status == "missing");
        var sb = new StringBuilder();
        string heading = "## sls: " + Cell(Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)));
        sb.AppendLine(heading).AppendLine();
        string status = failed.Count == 0 && missing == 0 ? "**All tasks ok**" : "**Not all tasks ok**";
        string line = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{status}: {ok} ok, {failed.Count} failed, {missing} missing of {tasks.Count} tasks")
            + (report.Completeness is { } c ? $" ({Cell(c.Describe())})" : "") + ".";
        sb.AppendLine(line).AppendLine();
        if (failed.Count > 0)
        {
            foreach (var r in failed) sb.AppendLine(System.Globalization.CultureInfo.InvariantCulture,
                $"- `{Cell(r.Task)}` failed in {Cell(r.FailedStage ?? "the task")}: {Cell(r.Error ?? r.Status)}");
            sb.AppendLine();
        }
        sb.Append(report.ToMarkdown());
        return sb.ToString();
    }

    /// <summary>Printable, on one line, and not able to open a table cell, code span or HTML tag.</summary>
    private static string Cell(string s) => Printable.Escape(s).Replace("|", "\\|", StringComparison.Ordinal).Replace("`", "'",
        StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal);
}
