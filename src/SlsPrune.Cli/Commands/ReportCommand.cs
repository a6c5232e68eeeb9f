using System.CommandLine;
using SlsPrune.Cli.Output;
using SlsPrune.Core.Batch;

namespace SlsPrune.Cli.Commands;

/// <summary><c>sls report DIR [--format md|csv|json]</c></summary>
public static class ReportCommand
{
    public static Command Create(Func<CliContext> context)
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "A folder 'sls batch --out' wrote" }.AcceptExistingOnly();
        var format = new Option<string>("--format") { Description = "md, csv or json", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "csv", "json");
        var cmd = new Command("report", "One row per task (accuracy full / pruned / retrained, blocks kept, FLOPs, speed-up, bytes) with group and overall averages");
        cmd.Arguments.Add(dir);
        cmd.Options.Add(format);
        cmd.SetAction((parse, cancellationToken) =>
        {
            var ctx = context();
            var report = BatchReport.Load(parse.GetValue(dir)!.FullName);
            switch (parse.GetValue(format))
            {
                case "csv": ctx.Out.Write(report.ToCsv()); break;
                case "json": Json.Write(ctx.Out, report); break;
                default: ctx.Out.Write(report.ToMarkdown()); break;
            }
            return Task.FromResult(ExitCodes.Success);
        });
        return cmd;
    }
}
