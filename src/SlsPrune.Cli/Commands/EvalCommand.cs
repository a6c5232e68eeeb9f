using System.CommandLine;
using SlsPrune.Cli.Output;
using SlsPrune.Core.Evaluation;
using SlsPrune.Core;

namespace SlsPrune.Cli.Commands;

/// <summary><c>sls eval --backbone FILE|FOLDER [--petl FILE] --data TASK_DIR [--index FILE] [--split test] [--throughput] [--plots DIR]</c>
/// (without <c>--petl</c> the backbone's own head classifies), or <c>sls eval --engine onnxruntime --model FILE.onnx --data TASK_DIR</c></summary>
public static class EvalCommand
{
    public static Command Create(Func<CliContext> context)
    {
        var model = new ModelOptionSet(backboneRequired: false);
        model.Model.Description = ModelOptionSet.OnnxModelDescription;
        var engine = new Option<string>("--engine") { Description = "torchsharp, or onnxruntime for an exported .onnx file given with --model", DefaultValueFactory = _ => "torchsharp" };
        engine.AcceptOnlyFromAmong("torchsharp", "onnxruntime");
        var data = new DataOptionSet();
        var index = new Option<FileInfo>("--index") { Description = "Pruning index: evaluate the pruned model" };
        index.AcceptExistingOnly();
        var split = new Option<string>("--split") { Description = "Split to evaluate", DefaultValueFactory = _ => EvalOptions.Defaults.Split };
        var throughput = new Option<bool>("--throughput") { Description = "Also measure images/s and latency (model only, random input)" };
        var throughputBatches = new Option<string>("--throughput-batches") { Description = "Batch sizes for --throughput, comma-separated", DefaultValueFactory = _ => string.Join(',', EvalOptions.DefaultThroughputBatches) };
        var repeats = new Option<int>("--repeats") { Description = "Timed forward passes per batch size for --throughput (the median is reported)", DefaultValueFactory = _ => EvalOptions.Defaults.Repeats };
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
            if (parse.GetValue(engine) == "onnxruntime")
            {
                if (parse.GetValue(index) is not null || parse.GetValue(model.Petl) is not null || parse.GetValue(model.Backbone) is not null)
                    throw new SlsInputException("--engine", "onnxruntime evaluates an exported file (--model FILE.onnx); the pruning and the adapters are already in it, so --backbone, --petl and --index do not apply");
                string file = parse.GetValue(model.Model) ?? throw new SlsInputException("--model", "give the exported .onnx file to evaluate with --engine onnxruntime");
                var onnx = new OnnxEvalOptions(Path.GetFullPath(file), data.Path(parse), parse.GetValue(split)!, parse.GetValue(model.BatchSize),
                    parse.GetValue(throughput), parse.GetValue(repeats), ParseBatches(parse.GetValue(throughputBatches)!), Full(parse.GetValue(plots)))
                {
                    DataOptions = data.Read(parse, ctx.Err), AllowClassMismatch = parse.GetValue(model.AllowClassMismatch),
                };
                ctx.Err.WriteLine($"sls: eval: {onnx.Split} split of {Path.GetFileName(onnx.Data)} with ONNX Runtime");
                var r = OnnxEvalRunner.Run(onnx, cancellationToken: cancellationToken);
                if (parse.GetValue(json)) Json.Write(ctx.Out, r);
                else EvalView.Render(ctx.Console, r);
                return Task.FromResult(ExitCodes.Success);
            }
            var options = new EvalOptions(model.Read(parse), data.Path(parse), parse.GetValue(index)?.FullName, parse.GetValue(split)!,
                parse.GetValue(throughput), parse.GetValue(model.AllowMismatch), parse.GetValue(repeats), ParseBatches(parse.GetValue(throughputBatches)!),
                Full(parse.GetValue(plots))) { DataOptions = data.Read(parse, ctx.Err), Warn = line => ctx.Err.WriteLine($"sls: warning: {line}") };
            ctx.Err.WriteLine($"sls: eval: {options.Split} split of {Path.GetFileName(options.Data)}{(options.Index is null ? "" : " with the pruning index")}");
            var result = EvalRunner.Run(options, cancellationToken: cancellationToken);
            if (parse.GetValue(json)) Json.Write(ctx.Out, result);
            else EvalView.Render(ctx.Console, result);
            return Task.FromResult(ExitCodes.Success);
        });
        return cmd;
    }

    private static string? Full(string? path) => path is null ? null : Path.GetFullPath(path);

    private static int[] ParseBatches(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(t => int.TryParse(t, out int b) && b > 0 ? b : throw new SlsInputException("--throughput-batches", $"'{t}' is not a positive batch size"))
            .ToArray();
}
