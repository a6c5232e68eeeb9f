using System.CommandLine;
using SlsPrune.Cli.Output;
using SlsPrune.Core;
using SlsPrune.Core.Batch;
using SlsPrune.Core.IO;

namespace SlsPrune.Cli.Commands;

/// <summary><c>sls report DIR [--manifest FILE] [--format FORMAT] [--out FILE] [--summary-md FILE] [--junit FILE]</c>; exit 3 when a task the
/// manifest (given, or recorded by <c>sls batch</c>) lists is missing or failed.</summary>
public static class ReportCommand
{
    public static Command Create(Func<CliContext> context)
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "A folder 'sls batch --out' wrote" }.AcceptExistingOnly();
        var format = new Option<string>("--format") { Description = ReportFormats.Help, DefaultValueFactory = _ => ReportFormats.Default.Name };
        format.AcceptOnlyFromAmong([.. ReportFormats.All.Select(f => f.Name)]);
        var output = new Option<string>("--out") { Description = "Write the report to this file (atomically) instead of stdout" };
        var manifest = new Option<FileInfo>("--manifest")
        {
            Description = "The batch manifest the folder should be complete for (default: the manifests 'sls batch' recorded in DIR/batches)"
        }.AcceptExistingOnly();
        var summaryMd = new Option<string>("--summary-md")
        {
            Description = "Also write a Markdown summary for a CI step summary (status line, failures, table) to this file"
        };
        var junit = new Option<string>("--junit")
        {
            Description = "Also write JUnit XML (a task per test case: failed tasks as failures, missing ones skipped) to this file"
        };
        var cmd = new Command("report", "One row per task (accuracy full / pruned / retrained, blocks kept, FLOPs, speed-up, bytes) with group and "
            + "overall averages");
        cmd.Arguments.Add(dir);
        cmd.Options.Add(format);
        cmd.Options.Add(output);
        cmd.Options.Add(manifest);
        cmd.Options.Add(summaryMd);
        cmd.Options.Add(junit);
        cmd.SetAction((parse, cancellationToken) =>
        {
            var ctx = context();
            string folder = parse.GetValue(dir)!.FullName;
            string? file = parse.GetValue(output);
            var ci = new (string? File, string Option, IReportFormat Format)[] { (parse.GetValue(summaryMd), "--summary-md", ReportFormats.Summary),
                (parse.GetValue(junit), "--junit", ReportFormats.Junit) };
            ReportOutputs.Check(folder, parse.GetValue(manifest)?.FullName, [.. new[] { (file, "--out") }.Concat(ci.Select(c => (c.File, c.Option)))
                .Where(o => o.Item1 is not null).Select(o => new OutputTarget(o.Item1!, o.Item2))]);
            var expected = Expected.For(folder, parse.GetValue(manifest)?.FullName);
            var chosen = ReportFormats.Get(parse.GetValue(format)!);
            Completeness? completeness;
            if (file is null)
            {
                var report = chosen.Write(folder, expected);
                ctx.Out.Write(report.Text);
                completeness = report.Completeness;
            }
            else
            {
                completeness = ReportFormats.WriteFile(chosen, folder, expected, file).Completeness;
                ctx.Err.WriteLine($"sls: report: wrote {Path.GetFullPath(file)}");
            }
            foreach (var (f, _, ciFormat) in ci)
            {
                if (f is null) continue;
                ReportFormats.WriteFile(ciFormat, folder, expected, f);
                ctx.Err.WriteLine($"sls: report: wrote {Path.GetFullPath(f)}");
            }
            if (completeness is null) return Task.FromResult(ExitCodes.Success);
            ctx.Err.WriteLine($"sls: report: {completeness.Describe()}");
            return Task.FromResult(completeness.Complete ? ExitCodes.Success : ExitCodes.Incomplete);
        });
        return cmd;
    }
}
