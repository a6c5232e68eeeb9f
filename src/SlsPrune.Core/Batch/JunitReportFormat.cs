using System.Globalization;
using System.Text;
using System.Xml;

namespace SlsPrune.Core.Batch;

/// <summary>The report as JUnit XML for a CI's test view: one <c>testcase</c> per task (its group as the class name, its
/// wall time), a failed task a <c>failure</c> naming the stage it stopped in and its error, a task the manifest lists
/// without a result <c>skipped</c>. Averages are not test cases.</summary>
public sealed class JunitReportFormat : IReportFormat
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public string Name => "junit";
    public string? Note => "JUnit XML: a task per test case, for a CI's test view";

    public ReportText Write(string folder, Expected? expected)
    {
        var report = BatchReport.Load(folder, expected);
        return new ReportText(ToXml(report, folder), report.Completeness);
    }

    public static string ToXml(BatchReport report, string folder)
    {
        var rows = report.Rows;
        int failures = rows.Count(r => r.Status is not ("ok" or "missing"));
        int skipped = rows.Count(r => r.Status == "missing");
        string time = rows.Sum(r => r.Seconds ?? 0).ToString("F3", Inv);
        var sb = new StringBuilder();
        using (var w = XmlWriter.Create(sb, new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), CheckCharacters = false }))
        {
            w.WriteStartDocument();
            w.WriteStartElement("testsuites");
            Counts(w, "sls batch", rows.Count, failures, skipped, time);
            w.WriteStartElement("testsuite");
            Counts(w, Text(Path.GetFileName(Path.TrimEndingDirectorySeparator(folder))), rows.Count, failures, skipped, time);
            foreach (var r in rows)
            {
                w.WriteStartElement("testcase");
                w.WriteAttributeString("name", Text(r.Task));
                w.WriteAttributeString("classname", Text(r.Group.Length == 0 ? r.Method : $"{r.Group}.{r.Method}"));
                w.WriteAttributeString("time", (r.Seconds ?? 0).ToString("F3", Inv));
                if (r.Status == "missing")
                {
                    w.WriteStartElement("skipped");
                    w.WriteAttributeString("message", "no result: the task has not run (or its shard has not finished)");
                    w.WriteEndElement();
                }
                else if (r.Status != "ok")
                {
                    string stage = r.FailedStage ?? "task";
                    w.WriteStartElement("failure");
                    w.WriteAttributeString("message", Text($"{stage}: {r.Error ?? r.Status}"));
                    w.WriteAttributeString("type", Text(stage));
                    w.WriteString(Text(r.Error ?? r.Status));
                    w.WriteEndElement();
                }
                else
                {
                    w.WriteElementString("system-out", Summary(r));
                }
                w.WriteEndElement();
            }
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndDocument();
        }
        return sb.ToString().Replace("encoding=\"utf-16\"", "encoding=\"utf-8\"", StringComparison.Ordinal) + "\n";
    }

    private static void Counts(XmlWriter w, string name, int tests, int failures, int skipped, string time)
    {
        w.WriteAttributeString("name", name);
        w.WriteAttributeString("tests", tests.ToString(Inv));
        w.WriteAttributeString("failures", failures.ToString(Inv));
        w.WriteAttributeString("errors", "0");
        w.WriteAttributeString("skipped", skipped.ToString(Inv));
        w.WriteAttributeString("time", time);
    }

    /// <summary>An ok task's numbers in one line: <c>top-1 full 81.2%, pruned 79.9%, retrained -; 6 / 12 blocks kept</c>.</summary>
    private static string Summary(ReportRow r)
    {
        static string P(double? v) => v is double d ? d.ToString("F1", Inv) + "%" : "-";
        return $"top-1 full {P(r.Full)}, pruned {P(r.Pruned)}, retrained {P(r.Retrained)}"
            + (r.Kept is double k ? $"; {k.ToString("F0", Inv)} / {r.Depth} blocks kept" : "");
    }

    /// <summary>Printable, and without the characters XML 1.0 cannot hold at all.</summary>
    private static string Text(string s)
    {
        string e = Printable.Escape(s);
        var sb = new StringBuilder(e.Length);
        for (int i = 0; i < e.Length; i++)
        {
            if (i + 1 < e.Length && char.IsSurrogatePair(e[i], e[i + 1])) sb.Append(e, i++, 2);
            else sb.Append(XmlConvert.IsXmlChar(e[i]) ? e[i] : '\uFFFD');
        }
        return sb.ToString();
    }
}
