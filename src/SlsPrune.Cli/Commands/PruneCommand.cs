using System.CommandLine;
using SlsPrune.Cli.Output;
using SlsPrune.Core;
using SlsPrune.Core.Evaluation;
using SlsPrune.Core.Pruning;

namespace SlsPrune.Cli.Commands;

/// <summary><c>sls prune --backbone FILE --petl FILE --data TASK_DIR [...]</c></summary>
public static class PruneCommand
{
    public static Command Create(Func<CliContext> context)
    {
        var model = new ModelOptionSet();
        var data = new Option<DirectoryInfo>("--data") { Description = "VTAB-1k task folder", Required = true }.AcceptExistingOnly();
        var split = new Option<string>("--split") { Description = "Calibration split", DefaultValueFactory = _ => "train800val200" };
        var alpha = new Option<double>("--alpha") { Description = "Threshold factor: T = alpha x score of the top layer", DefaultValueFactory = _ => SlsPolicy.DefaultAlpha };
        var metric = new Option<string>("--metric") { Description = "silhouette, calinski-harabasz or davies-bouldin", DefaultValueFactory = _ => "silhouette" };
        metric.AcceptOnlyFromAmong("silhouette", "calinski-harabasz", "davies-bouldin");
        var method = new Option<string>("--method") { Description = "Pruning method", DefaultValueFactory = _ => "sls" };
        method.AcceptOnlyFromAmong("sls");
        var output = new Option<FileInfo>("--out") { Description = "Pruning index to write", DefaultValueFactory = _ => new FileInfo("index.sls.json") };
        var plots = new Option<DirectoryInfo?>("--plots") { Description = "Write a t-SNE scatter per layer and the score curve as PNGs here" };
        var featuresOut = new Option<FileInfo?>("--features-out") { Description = "Save the per-layer cls tokens (safetensors: feats, labels)" };
        var seed = new Option<int>("--seed") { Description = "Seed (t-SNE random init; PCA init is deterministic)", DefaultValueFactory = _ => 0 };
        var perplexity = new Option<double>("--perplexity") { Description = "t-SNE perplexity", DefaultValueFactory = _ => 30.0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout" };
        alpha.Validators.Add(r => { if (!(r.GetValueOrDefault<double>() > 0)) r.AddError("--alpha must be positive"); });
        perplexity.Validators.Add(r => { if (!(r.GetValueOrDefault<double>() > 0)) r.AddError("--perplexity must be positive"); });

        var cmd = new Command("prune", "Score every layer with t-SNE + silhouette on a calibration split and write the SLS pruning index");
        model.AddTo(cmd);
        foreach (var o in new Option[] { data, split, alpha, metric, method, output, plots, featuresOut, seed, perplexity, json }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var ctx = context();
            if (!ClusterMetrics.TryParse(parse.GetValue(metric)!, out var m)) throw new SlsInputException("--metric", $"unknown metric {parse.GetValue(metric)}");
            var options = new PruneOptions(model.Read(parse), parse.GetValue(data)!.FullName, parse.GetValue(split)!, parse.GetValue(alpha), m,
                parse.GetValue(output)!.FullName, parse.GetValue(plots)?.FullName, parse.GetValue(featuresOut)?.FullName,
                parse.GetValue(model.Device)!, parse.GetValue(model.BatchSize), parse.GetValue(seed), parse.GetValue(perplexity));
            var result = PruneRunner.Run(options, new StageProgress(ctx.Err));
            if (parse.GetValue(json)) Json.Write(ctx.Out, result);
            else PruneView.Render(ctx.Console, result);
            return ExitCodes.Success;
        });
        return cmd;
    }
}
