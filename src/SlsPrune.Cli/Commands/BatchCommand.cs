using System.CommandLine;
using SlsPrune.Cli.Output;
using SlsPrune.Core;
using SlsPrune.Core.Batch;
using SlsPrune.Core.IO;
using SlsPrune.Core.Runtime;

namespace SlsPrune.Cli.Commands;

/// <summary><c>sls batch --manifest FILE --out DIR [--resume] [--shard K/N|slurm] [--dry-run] [--json] [--log-file FILE]
/// [--summary-md FILE] [--junit FILE]</c></summary>
public static class BatchCommand
{
    public static Command Create(Func<CliContext> context)
    {
        var manifest = new Option<FileInfo>("--manifest")
        {
            Description = "Batch manifest, JSON (.json) or YAML (.yaml, .yml): backbone, defaults, tasks", Required = true
        }.AcceptExistingOnly();
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Results folder (results/NAME.json per task, tasks/NAME/ for weights and indexes)", Required = true
        };
        var resume = new Option<bool>("--resume") { Description = "Skip tasks whose result says ok; redo the others" };
        var shard = new Option<string>("--shard")
        {
            Description = "Run share K of N (tasks i with i mod N = K); 'slurm': this Slurm array element's share (from SLURM_ARRAY_TASK_ID, _MIN, "
                + "_MAX, _STEP)",
            DefaultValueFactory = _ => BatchOptions.Defaults.Shard!.ToString(),
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout" };
        var dryRun = new Option<bool>("--dry-run")
        {
            Description = "Check the whole manifest and print what would run (stages, method, data "
            + "layout, PETL file, what --resume skips); run and write nothing"
        };
        var logFile = new Option<string>("--log-file")
        {
            Description = "Also append the progress lines (tasks and stages started, done, failed; seconds), timestamped, to this file"
        };
        var summaryMd = new Option<string>("--summary-md")
        {
            Description = "After the run, write the folder's report as a Markdown CI step summary (status line, failures, table) to this file"
        };
        var junit = new Option<string>("--junit")
        {
            Description = "After the run, write JUnit XML (a task per test case: failed tasks as failures, missing ones skipped) to this file"
        };
        var cmd = new Command("batch", "Train, prune, retrain and evaluate the tasks of a manifest; resumable and sharded");
        foreach (var o in new Option[] { manifest, output, resume, shard, json, dryRun, logFile, summaryMd, junit }) cmd.Options.Add(o);
        cmd.SetAction((parse, cancellationToken) =>
        {
            var ctx = context();
            var files = new (Option<string> Option, IReportFormat? Format)[] { (logFile, null), (summaryMd, ReportFormats.Summary), (junit,
                ReportFormats.Junit) }
                .Where(x => parse.GetValue(x.Option) is not null).Select(x => (Target: new OutputTarget(parse.GetValue(x.Option)!, x.Option.Name,
                    InPlace: x.Format is null), x.Format)).ToList(); // the log is appended to in place; the reports replace their file
            var options = new BatchOptions(parse.GetValue(manifest)!.FullName, parse.GetValue(output)!.FullName, parse.GetValue(resume),
                Shard.Parse(parse.GetValue(shard)!))
            {
                Outputs = [.. files.Select(f => f.Target)],
            };
            if (parse.GetValue(dryRun))
            {
                var plan = BatchRunner.Plan(options);
                if (parse.GetValue(json)) Json.Write(ctx.Out, plan);
                else WritePlan(ctx.Out, plan);
                return Task.FromResult(ExitCodes.Success);
            }
            using var log = new BatchLog(parse.GetValue(logFile));
            var summary = BatchRunner.Run(options, new Callback<string>(line =>
            {
                ctx.Err.WriteLine($"sls: batch: {line}");
                log.Write(line);
            }), cancellationToken);
            string done = $"{summary.Ran} run, {summary.Skipped} skipped, {summary.Failed} failed"
                + $"{(summary.Held > 0 ? $", {summary.Held} held by another process" : "")} of {Plural.Of(summary.Tasks, "task")} in this shard";
            log.Write(done);
            foreach (var (target, format) in files.Where(f => f.Format is not null))
            {
                ReportFormats.WriteFile(format!, options.Out, Expected.For(options.Out, options.Manifest), target.Path);
                ctx.Err.WriteLine($"sls: batch: wrote {Path.GetFullPath(target.Path)}");
            }
            if (parse.GetValue(json)) Json.Write(ctx.Out, summary);
            else ctx.Out.WriteLine(done);
            return Task.FromResult(summary.Failed == 0 ? ExitCodes.Success : ExitCodes.Failure);
        });
        return cmd;
    }

    private static void WritePlan(TextWriter o, BatchPlan plan)
    {
        static string E(string? s) => Printable.Escape(s ?? "");
        o.WriteLine($"Dry run: {E(plan.Manifest)} checked; shard {plan.Shard}, {Plural.Of(plan.Tasks.Count, "task")}, backbone {E(plan.Backbone)}, "
            + $"results in {E(plan.Out)}; nothing was run or written");
        foreach (var t in plan.Tasks)
        {
            string petl = t.PetlTrainedHere ? $"trained here to {E(t.Petl)}" : E(t.Petl);
            string action = t.Action == "skip" ? "skip (done earlier: --resume)" : t.Done ? "run (done earlier; without --resume it is redone)"
                : "run";
            o.WriteLine($"- {E(t.Task)}{(t.Group is null ? "" : $" [{E(t.Group)}]")}: {action}; stages {string.Join(" > ", t.Stages.Select(E))}; "
                + $"method {E(t.Method)}; "
                + $"data {E(t.Data)} ({E(t.Layout ?? "no layout recognised")}, split {E(t.Split)}); petl {E(t.PetlMethod)}, {petl}");
        }
    }
}
