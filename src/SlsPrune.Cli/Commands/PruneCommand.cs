using System.CommandLine;
using System.Text.Json.Nodes;
using SlsPrune.Cli.Output;
using SlsPrune.Core.Pruning;
using SlsPrune.Core.Pruning.Sls;

namespace SlsPrune.Cli.Commands;

/// <summary><c>sls prune --backbone FILE --petl FILE --data TASK_DIR|TREE|CSV [--method M] [...]</c>. The method's options are
/// passed as settings (the names without dashes, snake_case), which the method reads into its own options record,
/// as a batch manifest's are.</summary>
public static class PruneCommand
{
    public static Command Create(Func<CliContext> context)
    {
        var model = new ModelOptionSet();
        var data = new DataOptionSet();
        var split = new Option<string>("--split") { Description = "Calibration split (VTAB: train800val200, val200, ...; ImageFolder tree: train, val, test, or all; CSV: its split column's values, or all)", DefaultValueFactory = _ => "train800val200" };
        var calibration = new Option<int?>("--calibration") { Description = "Calibrate on N images of the split: a stratified sample drawn for --seed, listed beside the index" };
        var calibrationPerClass = new Option<int?>("--calibration-per-class") { Description = "Calibrate on K images of every class of the split, drawn for --seed, listed beside the index" };
        calibration.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is <= 0) r.AddError("--calibration must be positive"); });
        calibrationPerClass.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is <= 0) r.AddError("--calibration-per-class must be positive"); });
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
        var settings = new List<(Option Option, string Key, Func<ParseResult, JsonNode?> Value)>();
        Option<T> Setting<T>(string name, string description)
        {
            var o = new Option<T>(name) { Description = description };
            settings.Add((o, Key(name), p => p.GetResult(o) is null ? null : JsonValue.Create(p.GetValue(o))));
            return o;
        }
        void PathSetting(string name, string description)
        {
            var o = new Option<string?>(name) { Description = description };
            settings.Add((o, Key(name), p => p.GetValue(o) is { } f ? JsonValue.Create(Path.GetFullPath(f)) : null));
        }
        var alpha = new Option<string?>("--alpha") { Description = $"sls, bi, cka, probe: threshold factor, T = alpha x score of the top layer (default {SlsPolicy.DefaultAlpha}); sls: a list (0.1,0.3,0.5) writes one more index per further value, NAME.alpha0.3.sls.json" };
        settings.Add((alpha, "alpha", p => p.GetValue(alpha) is { } a ? JsonValue.Create(ParseAlphas(a)[0]) : null));
        settings.Add((alpha, "alphas", p => p.GetValue(alpha) is { } a && ParseAlphas(a).Length > 1 ? new JsonArray(ParseAlphas(a).Select(v => (JsonNode)JsonValue.Create(v)).ToArray()) : null));
        Setting<string>("--accuracy-split", "sls: labelled split on which every depth's accuracy without retraining is measured in the same pass (default val200 where the task has it; none: off)");
        var policy = Setting<string>("--policy", "sls: alpha (the paper's rule, default) or accuracy (the fewest blocks within --max-drop points of the full model's accuracy)");
        policy.AcceptOnlyFromAmong("alpha", "accuracy");
        Setting<double>("--max-drop", "sls --policy accuracy: allowed drop in top-1, percentage points (default 2.0)");
        var scoring = Setting<string>("--scoring", "sls: all (every layer, default: the scores, alpha sweep and figures) or needed (from the top layer down only the layers the alpha rule reads, as the SLS reference loop does: the same decision, faster)");
        scoring.AcceptOnlyFromAmong("all", "needed");
        Setting<int>("--tsne-seeds", "sls: run t-SNE with this many seeds; scores as mean +- std, the decision most seeds give (default 1)");
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

        perplexity.Validators.Add(r => { if (!(r.GetValueOrDefault<double>() > 0)) r.AddError("--perplexity must be positive"); });

        var cmd = new Command("prune", "Score every layer with t-SNE + silhouette on a calibration split and write the SLS pruning index (or run a baseline: --method)");
        model.AddTo(cmd);
        data.AddTo(cmd);
        foreach (var o in new Option[] { split, calibration, calibrationPerClass, method, output, seed, json }.Concat(settings.Select(s => s.Option).Distinct())) cmd.Options.Add(o);
        cmd.SetAction((parse, cancellationToken) =>
        {
            var ctx = context();
            var chosen = PruneMethods.Get(parse.GetValue(method)!);
            var given = new JsonObject();
            foreach (var (_, key, value) in settings)
                if (value(parse) is { } v) given[key] = v;
            var options = new PruneOptions(model.Read(parse), data.Path(parse), chosen, chosen.ReadOptions(given, "sls prune"),
                parse.GetValue(split)!, parse.GetValue(output)!.FullName, parse.GetValue(seed))
            {
                DataOptions = data.Read(parse, ctx.Err),
                Calibration = parse.GetValue(calibration),
                CalibrationPerClass = parse.GetValue(calibrationPerClass),
            };
            var result = PruneRunner.Run(options, new StageProgress(ctx.Err), cancellationToken);
            if (parse.GetValue(json)) Json.Write(ctx.Out, result);
            else PruneView.Render(ctx.Console, result);
            return Task.FromResult(ExitCodes.Success);
        });
        return cmd;
    }

    /// <summary>The settings key of an option: its name without dashes, snake_case.</summary>
    private static string Key(string option) => option.TrimStart('-').Replace('-', '_');

    /// <summary>One alpha or a comma-separated list, each positive.</summary>
    private static double[] ParseAlphas(string text)
    {
        var alphas = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(t => double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double a) && a > 0 && double.IsFinite(a)
                ? a : throw new Core.SlsInputException("--alpha", $"'{t}' is not a positive number"))
            .ToArray();
        return alphas.Length > 0 ? alphas : throw new Core.SlsInputException("--alpha", "give one or more positive numbers");
    }
}
