using System.CommandLine;
using SlsPrune.Cli.Output;
using SlsPrune.Core;
using SlsPrune.Core.Batch;

namespace SlsPrune.Cli.Commands;

/// <summary><c>sls report DIR [--format md|csv|json|html] [--out FILE]</c></summary>
public static class ReportCommand
{
    public static Command Create(Func<CliContext> context)
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "A folder 'sls batch --out' wrote" }.AcceptExistingOnly();
        var format = new Option<string>("--format") { Description = "md, csv, json, or html (one self-contained page with the figures)", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "csv", "json", "html");
        var output = new Option<string>("--out") { Description = "Write the report to this file (atomically) instead of stdout" };
        var cmd = new Command("report", "One row per task (accuracy full / pruned / retrained, blocks kept, FLOPs, speed-up, bytes) with group and overall averages");
        cmd.Arguments.Add(dir);
        cmd.Options.Add(format);
        cmd.Options.Add(output);
        cmd.SetAction((parse, cancellationToken) =>
        {
            var ctx = context();
            string folder = parse.GetValue(dir)!.FullName;
            string? file = parse.GetValue(output);
            if (file is not null) OutputPath.CheckFile(file, "--out", folder);
            var text = new StringWriter();
            if (parse.GetValue(format) == "html") text.Write(HtmlReport.Build(folder));
            else
            {
                var report = BatchReport.Load(folder);
                switch (parse.GetValue(format))
                {
                    case "csv": text.Write(report.ToCsv()); break;
                    case "json": Json.Write(text, report); break;
                    default: text.Write(report.ToMarkdown()); break;
                }
            }
            if (file is null) ctx.Out.Write(text.ToString());
            else
            {
                byte[] bytes = new System.Text.UTF8Encoding(false).GetBytes(text.ToString());
                AtomicFile.Write(file, s => s.Write(bytes));
                ctx.Err.WriteLine($"sls: report: wrote {Path.GetFullPath(file)}");
            }
            return Task.FromResult(ExitCodes.Success);
        });
        return cmd;
    }
}
