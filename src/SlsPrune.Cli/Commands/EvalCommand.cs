using System.CommandLine;
using SlsPrune.Cli.Output;
using SlsPrune.Core;
using SlsPrune.Core.Evaluation;
using SlsPrune.Core.Models;

namespace SlsPrune.Cli.Commands;

/// <summary><c>sls eval --backbone FILE|FOLDER [--petl FILE] --data TASK_DIR [--index FILE] [--split test] [--throughput] [--plots DIR]</c>
/// (without <c>--petl</c> the backbone's own head classifies), or <c>sls eval --engine onnxruntime --model FILE.onnx --data TASK_DIR</c>;
/// the engines are <see cref="EvalEngines.All"/>.</summary>
public static class EvalCommand
{
    public static Command Create(Func<CliContext> context)
    {
        var model = new ModelOptionSet(backboneRequired: false);
        model.Model.Description = ModelOptionSet.OnnxModelDescription;
        var engine = new Option<string>("--engine")
        {
            Description = string.Join("; ", EvalEngines.All.Select(e => $"{e.Name}: {e.Description}")),
            DefaultValueFactory = _ => EvalEngines.Default.Name,
        };
        engine.AcceptOnlyFromAmong([.. EvalEngines.Names]);
        var data = new DataOptionSet();
        var index = new Option<FileInfo>("--index") { Description = "Pruning index: evaluate the pruned model" };
        index.AcceptExistingOnly();
        var split = new Option<string>("--split") { Description = "Split to evaluate", DefaultValueFactory = _ => EvalOptions.Defaults.Split };
        var throughput = new Option<bool>("--throughput") { Description = "Also measure images/s and latency (model only, random input)" };
        var throughputBatches = new Option<string>("--throughput-batches")
        {
            Description = "Batch sizes for --throughput, comma-separated",
            DefaultValueFactory = _ => string.Join(',', EvalOptions.DefaultThroughputBatches)
        };
        var repeats = new Option<int>("--repeats")
        {
            Description = "Timed forward passes per batch size for --throughput (the median is reported)",
            DefaultValueFactory = _ => EvalOptions.Defaults.Repeats
        };
        repeats.Validators.Add(r => { if (r.TryParsed<int>(out var parsed) && parsed <= 0) r.AddError("--repeats must be positive"); });
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout" };
        var plots = new Option<string>("--plots") { Description = "Folder for figures (PNG and SVG): the confusion matrix and top-1 per class" };
        var cmd = new Command("eval", "Top-1 accuracy, parameters, FLOPs, storage and (optionally) throughput of the full or pruned model");
        model.AddTo(cmd);
        data.AddTo(cmd);
        foreach (var o in new Option[] { engine, index, split, throughput, throughputBatches, repeats, json, plots }) cmd.Options.Add(o);
        cmd.SetAction((parse, cancellationToken) =>
        {
            var ctx = context();
            var chosen = EvalEngines.ByName(parse.GetValue(engine)!);
            var request = new EvalRequest(parse.GetValue(model.Backbone) is null ? null : model.Read(parse), parse.GetValue(model.Model),
                parse.GetValue(model.Petl)?.FullName,
                data.Path(parse), parse.GetValue(index)?.FullName, parse.GetValue(split)!, parse.GetValue(throughput), parse.GetValue(repeats),
                ParseBatches(parse.GetValue(throughputBatches)!), Full(parse.GetValue(plots)), parse.GetValue(model.BatchSize),
                    parse.GetValue(model.AllowClassMismatch))
            {
                BuildOptionsGiven = [.. model.BuildOptionsGiven(parse)],
                DataOptions = data.Read(parse, ctx.Err), Warn = line => ctx.Err.WriteLine($"sls: warning: {line}"), Say = line =>
                    ctx.Err.WriteLine($"sls: eval: {line}"),
            };
            var result = chosen.Run(request, cancellationToken);
            if (parse.GetValue(json)) Json.Write(ctx.Out, result);
            else EvalView.Render(ctx.Console, result);
            return Task.FromResult(ExitCodes.Success);
        });
        return cmd;
    }

    private static string? Full(string? path) => path is null ? null : Path.GetFullPath(path);

    private static int[] ParseBatches(string text) => text.Split(',', StringSplitOptions.TrimEntries)
            .Select(t => t.Length == 0 ? throw new SlsInputException("--throughput-batches", $"'{Printable.Escape(text)}' has an empty entry")
                : int.TryParse(t, out int b) && b > 0 ? ActivationBudget.CheckTimedBatch(b, "--throughput-batches")
                : throw new SlsInputException("--throughput-batches", $"'{Printable.Escape(t)}' is not a positive batch size"))
            .ToArray();
}
