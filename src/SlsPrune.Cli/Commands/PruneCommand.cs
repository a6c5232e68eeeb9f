using System.CommandLine;
using System.Text.Json.Nodes;
using SlsPrune.Cli.Output;
using SlsPrune.Core;
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
        var split = new Option<string>("--split")
        {
            Description = "Calibration split (VTAB: train800val200, val200, ...; ImageFolder tree: train, "
            + "val, test, or all; CSV: its split column's values, or all)", DefaultValueFactory = _ => PruneOptions.Defaults.Split
        };
        var calibration = new Option<int?>("--calibration")
        {
            Description = "Calibrate on N images of the split: a stratified sample drawn for --seed, listed beside the index"
        };
        var calibrationPerClass = new Option<int?>("--calibration-per-class")
        {
            Description = "Calibrate on K images of every class of the split, drawn for --seed, listed beside the index"
        };
        calibration.Validators.Add(r => { if (r.TryParsed<int?>(out var parsed) && parsed is <= 0) r.AddError("--calibration must be positive"); });
        calibrationPerClass.Validators.Add(r =>
        {
            if (r.TryParsed<int?>(out var parsed)
            && parsed is <= 0) r.AddError("--calibration-per-class must be positive");
        });
        var method = new Option<string>("--method")
        {
            Description = string.Join("; ", PruneMethods.All.Select(m => $"{m.Name}: {m.Description}")),
            DefaultValueFactory = _ => PruneOptions.Defaults.Method.Name,
        };
        method.AcceptOnlyFromAmong(PruneMethods.All.Select(m => m.Name).ToArray());
        var output = new Option<FileInfo>("--out")
        {
            Description = "Pruning index to write", DefaultValueFactory = _ => new FileInfo(PruneOptions.Defaults.Out)
        };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed (t-SNE random init, sampling; PCA init is deterministic)", DefaultValueFactory = _ => PruneOptions.Defaults.Seed
        };
        var budget = new Option<string?>("--budget")
        {
            Description = $"Prune to a budget: {string.Join("; ", Core.Pruning.Budgets.BudgetKinds.All.Select(k => k.Syntax))}. SLS keeps the "
                + $"alpha rule's depth cut to the deepest that fits (--policy accuracy: the best accuracy among the depths that fit); width "
                    + $"methods take flops or params as their ratio",
        };
        var latencyBatch = new Option<int>("--latency-batch")
        {
            Description = "--budget latency: the batch the latency of every depth is measured at",
            DefaultValueFactory = _ => PruneOptions.Defaults.LatencyBatch
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout" };

        // Method options: made from what each method's options record declares (name, type, default, help); what the
        // user gives is passed on as settings, which the method reads into its record as a manifest's are.
        var settings = MethodOptions.Create();

        var cmd = new Command("prune", "Score every layer with t-SNE + silhouette on a calibration split and write the SLS pruning index (or run a "
            + "baseline: --method)");
        model.AddTo(cmd);
        data.AddTo(cmd);
        foreach (var o in new Option[] { split, calibration, calibrationPerClass, method, output, seed, budget, latencyBatch,
            json }.Concat(settings.Select(s => s.Option))) cmd.Options.Add(o);
        cmd.SetAction((parse, cancellationToken) =>
        {
            var ctx = context();
            var chosen = PruneMethods.Get(parse.GetValue(method)!);
            var given = new JsonObject();
            foreach (var (option, value) in settings)
                foreach (var (key, v) in value(parse))
                {
                    // another method's option would be ignored: the user asked for something this run does not do
                    if (!chosen.SettingNames.Contains(key))
                        throw new SlsInputException(option.Name, NotForMethod(chosen, option.Name, key));
                    given[key] = v;
                }
            var options = new PruneOptions(model.Read(parse), data.Path(parse), chosen, chosen.ReadOptions(given, MethodSettings.CommandLine),
                parse.GetValue(split)!, parse.GetValue(output)!.FullName, parse.GetValue(seed))
            {
                DataOptions = data.Read(parse, ctx.Err),
                Calibration = parse.GetValue(calibration),
                CalibrationPerClass = parse.GetValue(calibrationPerClass),
                Budget = parse.GetValue(budget) is { } b ? Core.Pruning.Budgets.Budget.Parse(b) : null,
                LatencyBatch = parse.GetValue(latencyBatch),
            };
            var result = PruneRunner.Run(options, new StageProgress(ctx.Err), cancellationToken);
            if (parse.GetValue(json)) Json.Write(ctx.Out, result);
            else PruneView.Render(ctx.Console, result);
            return Task.FromResult(ExitCodes.Success);
        });
        return cmd;
    }

    /// <summary>Why an option given is refused for <paramref name="chosen"/>: it is another method's, or (a list given to an
    /// option the method takes one value of) only its list is.</summary>
    private static string NotForMethod(IPruneMethod chosen, string option, string key)
    {
        string others = PruneMethods.WithSetting(key);
        return chosen.Settings.Any(s => s.Option == option) ? $"takes one value for method {chosen.Name} (a list is for {others})"
            : $"does not apply to method {chosen.Name} (it is an option of {others})";
    }
}
