using System.CommandLine;
using System.Text.Json.Nodes;
using SlsPrune.Cli.Output;
using SlsPrune.Core.Pruning;
using SlsPrune.Core.Pruning.Sls;

namespace SlsPrune.Cli.Commands;

/// <summary><c>sls prune --backbone FILE --petl FILE --data TASK_DIR [--method M] [...]</c>. The method's options are
/// passed as settings (the names without dashes, snake_case), which the method reads into its own options record,
/// as a batch manifest's are.</summary>
public static class PruneCommand
{
    public static Command Create(Func<CliContext> context)
    {
        var model = new ModelOptionSet();
        var data = new Option<DirectoryInfo>("--data") { Description = "VTAB-1k task folder", Required = true }.AcceptExistingOnly();
        var split = new Option<string>("--split") { Description = "Calibration split", DefaultValueFactory = _ => "train800val200" };
        var method = new Option<string>("--method")
        {
            Description = string.Join("; ", PruneMethods.All.Select(m => $"{m.Name}: {m.Description}")),
            DefaultValueFactory = _ => PruneMethods.Default.Name,
        };
        method.AcceptOnlyFromAmong(PruneMethods.All.Select(m => m.Name).ToArray());
        var output = new Option<FileInfo>("--out") { Description = "Pruning index to write", DefaultValueFactory = _ => new FileInfo("index.sls.json") };
        var seed = new Option<int>("--seed") { Description = "Seed (t-SNE random init, sampling; PCA init is deterministic)", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout" };

        // Method options: no defaults here (each method's options record holds them); what the user gives is passed on.
        var settings = new List<(Option Option, Func<ParseResult, JsonNode?> Value)>();
        Option<T> Setting<T>(string name, string description)
        {
            var o = new Option<T>(name) { Description = description };
            settings.Add((o, p => p.GetResult(o) is null ? null : JsonValue.Create(p.GetValue(o))));
            return o;
        }
        void PathSetting(string name, string description)
        {
            var o = new Option<string?>(name) { Description = description };
            settings.Add((o, p => p.GetValue(o) is { } f ? JsonValue.Create(Path.GetFullPath(f)) : null));
        }
        var alpha = Setting<double>("--alpha", $"sls, bi, cka, probe: threshold factor, T = alpha x score of the top layer (default {SlsPolicy.DefaultAlpha})");
        var metric = Setting<string>("--metric", "sls: silhouette (default), calinski-harabasz or davies-bouldin");
        metric.AcceptOnlyFromAmong("silhouette", "calinski-harabasz", "davies-bouldin");
        var perplexity = Setting<double>("--perplexity", "sls: t-SNE perplexity (default 30)");
        PathSetting("--plots", "sls: write the score curve, the t-SNE grid and a t-SNE scatter per layer (PNG and SVG) in this folder");
        PathSetting("--features-out", "sls: save the per-layer features (safetensors: feats, labels)");
        Setting<int?>("--keep-blocks", "bi/cka/probe: keep this many blocks instead of the alpha rule; aglp: the smallest depth to search to");
        Setting<double?>("--ratio", "depgraph/spa: fraction of heads and MLP units pruned in every block");
        PathSetting("--match-index", "Same budget as this index: depgraph/spa prune its share of block parameters; bi/cka/probe/aglp keep as many blocks");
        var importance = Setting<string>("--importance", "depgraph: taylor (default), l1, l2, random; spa: l1 (default) or l2 of W + s B A");
        importance.AcceptOnlyFromAmong("taylor", "l1", "l2", "random");
        var widthUnit = Setting<string>("--width-unit", "depgraph/spa: prune whole heads (default), or dimensions inside every head");
        widthUnit.AcceptOnlyFromAmong("heads", "dims");
        Setting<int>("--taylor-batches", "depgraph taylor: calibration batches to accumulate gradients over (default 4)");
        Setting<int>("--aglp-epochs", "aglp: retraining epochs per candidate (default 2)");
        Setting<double>("--aglp-fraction", "aglp: stop when the best candidate scores under this fraction of the full model (default 0.95)");
        Setting<double>("--aglp-lr", "aglp: constant learning rate of the brief retraining (default 1e-3)");
        PathSetting("--petl-out", "aglp/spa: the new PETL file (default: beside the index, NAME.petl.safetensors)");
        Setting<string>("--fit-split", "probe: split the probes are fitted on; aglp: split candidates retrain on (default train800)");
        Setting<string>("--score-split", "probe and aglp: split candidates are scored on (default val200)");
        alpha.Validators.Add(r => { if (!(r.GetValueOrDefault<double>() > 0)) r.AddError("--alpha must be positive"); });
        perplexity.Validators.Add(r => { if (!(r.GetValueOrDefault<double>() > 0)) r.AddError("--perplexity must be positive"); });

        var cmd = new Command("prune", "Score every layer with t-SNE + silhouette on a calibration split and write the SLS pruning index (or run a baseline: --method)");
        model.AddTo(cmd);
        foreach (var o in new Option[] { data, split, method, output, seed, json }.Concat(settings.Select(s => s.Option))) cmd.Options.Add(o);
        cmd.SetAction((parse, cancellationToken) =>
        {
            var ctx = context();
            var chosen = PruneMethods.Get(parse.GetValue(method)!);
            var given = new JsonObject();
            foreach (var (o, value) in settings)
                if (value(parse) is { } v) given[o.Name.TrimStart('-').Replace('-', '_')] = v;
            var options = new PruneOptions(model.Read(parse), parse.GetValue(data)!.FullName, chosen, chosen.ReadOptions(given, "sls prune"),
                parse.GetValue(split)!, parse.GetValue(output)!.FullName, parse.GetValue(seed));
            var result = PruneRunner.Run(options, new StageProgress(ctx.Err), cancellationToken);
            if (parse.GetValue(json)) Json.Write(ctx.Out, result);
            else PruneView.Render(ctx.Console, result);
            return Task.FromResult(ExitCodes.Success);
        });
        return cmd;
    }
}
