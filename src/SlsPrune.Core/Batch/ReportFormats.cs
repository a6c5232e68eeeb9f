using SlsPrune.Core.IO;

namespace SlsPrune.Core.Batch;

/// <summary>The formats <c>sls report</c> writes, by name; a new one is one <see cref="IReportFormat"/> class and one
/// line here.</summary>
public static class ReportFormats
{
    /// <summary>Every format, by <see cref="IReportFormat.Name"/>, the default first; the order is the order of the help.</summary>
    public static IReadOnlyList<IReportFormat> All { get; } = [
        new MarkdownReportFormat(),
        new CsvReportFormat(),
        new JsonReportFormat(),
        new HtmlReportFormat(),
        new SummaryReportFormat(),
        new JunitReportFormat(),
    ];

    /// <summary>Markdown, unless told otherwise.</summary>
    public static IReportFormat Default => All[0];

    /// <summary>The names for the help: <c>md, csv, json, or html (one self-contained page with the figures)</c>.</summary>
    public static string Help
    {
        get
        {
            var names = All.Select(f => f.Note is { } note ? $"{f.Name} ({note})" : f.Name).ToList();
            return names.Count == 1 ? names[0] : $"{string.Join(", ", names.Take(names.Count - 1))}, or {names[^1]}";
        }
    }

    /// <summary>The CI step summary (<c>--summary-md</c>).</summary>
    public static IReportFormat Summary => Get("summary");

    /// <summary>JUnit XML (<c>--junit</c>).</summary>
    public static IReportFormat Junit => Get("junit");

    /// <summary>Writes <paramref name="format"/>'s report of <paramref name="folder"/> to <paramref name="file"/>, atomically (UTF-8, no
    /// BOM).</summary>
    public static ReportText WriteFile(IReportFormat format, string folder, Expected? expected, string file)
    {
        var report = format.Write(folder, expected);
        byte[] bytes = new System.Text.UTF8Encoding(false).GetBytes(report.Text);
        AtomicFile.Write(file, s => s.Write(bytes));
        return report;
    }

    /// <exception cref="SlsInputException">naming <c>--format</c> and the formats known.</exception>
    public static IReportFormat Get(string name) => All.FirstOrDefault(f => f.Name == name)
        ?? throw new SlsInputException("--format",
            $"unknown format '{Printable.Escape(name)}' (known: {string.Join(", ", All.Select(f => f.Name))})");
}
