using SlsPrune.Core.IO;
using System.CommandLine;
using SlsPrune.Cli.Output;
using SlsPrune.Core;
using SlsPrune.Core.Batch;

namespace SlsPrune.Cli.Commands;

/// <summary><c>sls report DIR [--manifest FILE] [--format md|csv|json|html] [--out FILE]</c>; exit 3 when a task the
/// manifest (given, or recorded by <c>sls batch</c>) lists is missing or failed.</summary>
public static class ReportCommand
{
    public static Command Create(Func<CliContext> context)
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "A folder 'sls batch --out' wrote" }.AcceptExistingOnly();
        var format = new Option<string>("--format") { Description = ReportFormats.Help, DefaultValueFactory = _ => ReportFormats.Default.Name };
        format.AcceptOnlyFromAmong([.. ReportFormats.All.Select(f => f.Name)]);
        var output = new Option<string>("--out") { Description = "Write the report to this file (atomically) instead of stdout" };
        var manifest = new Option<FileInfo>("--manifest") { Description = "The batch manifest the folder should be complete for (default: the manifests 'sls batch' recorded in DIR/batches)" }.AcceptExistingOnly();
        var cmd = new Command("report", "One row per task (accuracy full / pruned / retrained, blocks kept, FLOPs, speed-up, bytes) with group and overall averages");
        cmd.Arguments.Add(dir);
        cmd.Options.Add(format);
        cmd.Options.Add(output);
        cmd.Options.Add(manifest);
        cmd.SetAction((parse, cancellationToken) =>
        {
            var ctx = context();
            string folder = parse.GetValue(dir)!.FullName;
            string? file = parse.GetValue(output);
            if (file is not null) OutputPath.CheckFile(file, "--out", folder);
            var expected = Expected.For(folder, parse.GetValue(manifest)?.FullName);
            var (text, completeness) = ReportFormats.Get(parse.GetValue(format)!).Write(folder, expected);
            if (file is null) ctx.Out.Write(text);
            else
            {
                byte[] bytes = new System.Text.UTF8Encoding(false).GetBytes(text);
                AtomicFile.Write(file, s => s.Write(bytes));
                ctx.Err.WriteLine($"sls: report: wrote {Path.GetFullPath(file)}");
            }
            if (completeness is null) return Task.FromResult(ExitCodes.Success);
            ctx.Err.WriteLine($"sls: report: {completeness.Describe()}");
            return Task.FromResult(completeness.Complete ? ExitCodes.Success : ExitCodes.Incomplete);
        });
        return cmd;
    }
}
