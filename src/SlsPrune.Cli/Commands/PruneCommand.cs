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
        var method = new Option<string>("--method")
        {
            Description = "sls (t-SNE + silhouette); layer scorers bi (block influence), cka (1 - linear CKA), probe (ridge probe accuracy); "
                + "width pruning depgraph; aglp (greedy layer pruning with retraining); spa (structured pruning adapters, SPLoRA models)",
            DefaultValueFactory = _ => "sls",
        };
        method.AcceptOnlyFromAmong(Enum.GetValues<PruneMethod>().Select(PruneMethods.Name).ToArray());
        var keepBlocks = new Option<int?>("--keep-blocks") { Description = "bi/cka/probe: keep this many blocks instead of the alpha rule; aglp: the smallest depth to search to" };
        var ratio = new Option<double?>("--ratio") { Description = "depgraph/spa: fraction of heads and MLP units pruned in every block" };
        var matchIndex = new Option<FileInfo?>("--match-index") { Description = "Same budget as this index: depgraph/spa prune its share of block parameters (ratio 1 - kept/depth); bi/cka/probe/aglp keep as many blocks" };
        var importance = new Option<string?>("--importance") { Description = "depgraph: taylor (default), l1, l2, random; spa: l1 (default) or l2 of W + s B A" };
        var widthUnit = new Option<string>("--width-unit") { Description = "depgraph/spa: prune whole heads, or dimensions inside every head", DefaultValueFactory = _ => "heads" };
        widthUnit.AcceptOnlyFromAmong("heads", "dims");
        var taylorBatches = new Option<int>("--taylor-batches") { Description = "depgraph taylor: calibration batches to accumulate gradients over", DefaultValueFactory = _ => 4 };
        var aglpEpochs = new Option<int>("--aglp-epochs") { Description = "aglp: retraining epochs per candidate", DefaultValueFactory = _ => 2 };
        var aglpFraction = new Option<double>("--aglp-fraction") { Description = "aglp: stop when the best candidate scores under this fraction of the full model", DefaultValueFactory = _ => 0.95 };
        var aglpLr = new Option<double>("--aglp-lr") { Description = "aglp: constant learning rate of the brief retraining", DefaultValueFactory = _ => 1e-3 };
        var petlOut = new Option<FileInfo?>("--petl-out") { Description = "aglp/spa: the new PETL file (default: beside the index, NAME.petl.safetensors)" };
        var fitSplit = new Option<string>("--fit-split") { Description = "probe: split the probes are fitted on; aglp: split candidates retrain on", DefaultValueFactory = _ => "train800" };
        var scoreSplit = new Option<string>("--score-split") { Description = "probe and aglp: split candidates are scored on", DefaultValueFactory = _ => "val200" };
        var output = new Option<FileInfo>("--out") { Description = "Pruning index to write", DefaultValueFactory = _ => new FileInfo("index.sls.json") };
        var plots = new Option<DirectoryInfo?>("--plots") { Description = "Write a t-SNE scatter per layer and the score curve as PNGs here" };
        var featuresOut = new Option<FileInfo?>("--features-out") { Description = "Save the per-layer cls tokens (safetensors: feats, labels)" };
        var seed = new Option<int>("--seed") { Description = "Seed (t-SNE random init; PCA init is deterministic)", DefaultValueFactory = _ => 0 };
        var perplexity = new Option<double>("--perplexity") { Description = "t-SNE perplexity", DefaultValueFactory = _ => 30.0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout" };
        alpha.Validators.Add(r => { if (!(r.GetValueOrDefault<double>() > 0)) r.AddError("--alpha must be positive"); });
        perplexity.Validators.Add(r => { if (!(r.GetValueOrDefault<double>() > 0)) r.AddError("--perplexity must be positive"); });

        var cmd = new Command("prune", "Score every layer with t-SNE + silhouette on a calibration split and write the SLS pruning index (or run a baseline: --method)");
        model.AddTo(cmd);
        foreach (var o in new Option[] { data, split, alpha, metric, method, output, plots, featuresOut, seed, perplexity, keepBlocks, ratio, matchIndex,
                     importance, widthUnit, taylorBatches, aglpEpochs, aglpFraction, aglpLr, petlOut, fitSplit, scoreSplit, json })
            cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var ctx = context();
            if (!ClusterMetrics.TryParse(parse.GetValue(metric)!, out var m)) throw new SlsInputException("--metric", $"unknown metric {parse.GetValue(metric)}");
            var options = new PruneOptions(model.Read(parse), parse.GetValue(data)!.FullName, parse.GetValue(split)!, parse.GetValue(alpha), m,
                parse.GetValue(output)!.FullName, parse.GetValue(plots)?.FullName, parse.GetValue(featuresOut)?.FullName,
                parse.GetValue(model.Device)!, parse.GetValue(model.BatchSize), parse.GetValue(seed), parse.GetValue(perplexity), PruneMethods.Parse(parse.GetValue(method)!))
            {
                KeepBlocks = parse.GetValue(keepBlocks), Ratio = parse.GetValue(ratio), MatchIndex = parse.GetValue(matchIndex)?.FullName,
                TaylorBatches = parse.GetValue(taylorBatches), WidthUnit = parse.GetValue(widthUnit)!, AglpEpochs = parse.GetValue(aglpEpochs), AglpFraction = parse.GetValue(aglpFraction),
                AglpLr = parse.GetValue(aglpLr), PetlOut = parse.GetValue(petlOut)?.FullName, FitSplit = parse.GetValue(fitSplit)!, ScoreSplit = parse.GetValue(scoreSplit)!,
            };
            options = options with { Importance = parse.GetValue(importance) ?? (options.Method == PruneMethod.Spa ? "l1" : "taylor") };
            var result = PruneRunner.Run(options, new StageProgress(ctx.Err));
            if (parse.GetValue(json)) Json.Write(ctx.Out, result);
            else PruneView.Render(ctx.Console, result);
            return ExitCodes.Success;
        });
        return cmd;
    }
}
