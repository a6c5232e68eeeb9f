using System.CommandLine;
using System.Globalization;
using SlsPrune.Cli.Output;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Pruning;
using SlsPrune.Core.Training;
using Spectre.Console;

namespace SlsPrune.Cli.Commands;

/// <summary><c>sls train --backbone FILE --data TASK_DIR --petl-method M [--epochs 100] [--out petl.safetensors] ...</c>;
/// with <c>--index</c>, retraining of the pruned model.</summary>
public static class TrainCommand
{
    public static Command Create(Func<CliContext> context)
    {
        var model = new ModelOptionSet(petlFile: false);
        var data = new DataOptionSet();
        var loraAlpha = new Option<double?>("--lora-alpha") { Description = "LoRA's alpha: s = alpha / rank (instead of --petl-scale)" };
        var d = TrainOptions.Defaults;
        var epochs = new Option<int>("--epochs") { Description = "Epochs", DefaultValueFactory = _ => d.Epochs };
        var warmup = new Option<int>("--warmup-epochs") { Description = "Linear warm-up epochs", DefaultValueFactory = _ => d.WarmupEpochs };
        var lr = new Option<double?>("--lr")
        {
            Description = string.Create(CultureInfo.InvariantCulture,
            $"Peak learning rate (AdamW); default {d.Lr:0.###e0}, or {TrainOptions.FineTuneLr:0.###e0} for --strategy ft")
        };
        var minLr = new Option<double>("--min-lr") { Description = "Cosine floor", DefaultValueFactory = _ => d.MinLr };
        var wd = new Option<double>("--weight-decay") { Description = "AdamW weight decay", DefaultValueFactory = _ => d.WeightDecay };
        var constant = new Option<bool>("--constant-lr") { Description = "Flat learning rate (no warm-up or cosine)" };
        var seed = new Option<int>("--seed") { Description = "Seed (initialisation, shuffling, dropout)", DefaultValueFactory = _ => d.Seed };
        var evalEvery = new Option<int>("--eval-every")
        {
            Description = "Evaluate every k epochs (and at the end); the best is kept",
            DefaultValueFactory = _ => d.EvalEvery
        };
        var split = new Option<string>("--split") { Description = "Training split", DefaultValueFactory = _ => d.TrainSplit };
        var evalSplit = new Option<string>("--eval-split")
        {
            Description = "Evaluation split (the reference code uses test)", DefaultValueFactory = _ => d.EvalSplit
        };
        var output = new Option<FileInfo>("--out")
        {
            Description = "PETL weights to write (safetensors)", DefaultValueFactory = _ => new FileInfo(d.Out)
        };
        var noResume = new Option<bool>("--no-resume") { Description = "Start over even if OUT.state.safetensors exists" };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout" };
        var index = new Option<FileInfo>("--index") { Description = "Retrain the pruned model this index describes" }.AcceptExistingOnly();
        var initFrom = new Option<FileInfo>("--init-from")
        {
            Description = "Start from these PETL weights (the ones the index was computed for)"
        }.AcceptExistingOnly();
        var strategy = new Option<string>("--strategy")
        {
            Description = string.Create(CultureInfo.InvariantCulture,
            $"Retraining: ft (constant lr {TrainOptions.FineTuneLr:0.###e0}), clr (warm-up + cosine), tfs (adapters from scratch)"),
            DefaultValueFactory = _ => TrainOptions.DefaultStrategy
        };
        strategy.AcceptOnlyFromAmong([.. TrainOptions.Strategies]);
        var distill = new Option<bool>("--distill")
        {
            Description = "Retraining: distil from the unpruned model (the backbone with --teacher, default --init-from)"
        };
        var teacher = new Option<FileInfo>("--teacher")
        {
            Description = "--distill: the unpruned task's PETL file (default: --init-from)"
        }.AcceptExistingOnly();
        var temperature = new Option<double>("--distill-temperature")
        {
            Description = "--distill: temperature T of the softened logits",
            DefaultValueFactory = _ => DistillSettings.Defaults.Temperature
        };
        var weight = new Option<double>("--distill-weight")
        {
            Description = "--distill: w in (1 - w) CE + w T^2 KL", DefaultValueFactory = _ => DistillSettings.Defaults.Weight
        };
        model.PetlMethod.AcceptOnlyFromAmong(PetlMethods.All.Select(m => m.Name).ToArray());
        foreach (var o in new[] { epochs, warmup, evalEvery })
            o.Validators.Add(r =>
            {
                if (r.TryParsed<int>(out var parsed) && parsed < (o == warmup ? 0
                : 1)) r.AddError($"{o.Name} must be {(o == warmup ? "non-negative" : "positive")}");
            });
        model.PetlDim.Validators.Add(r =>
        {
            if (r.TryParsed<int?>(out var parsed) && parsed is int d
            && d < 1) r.AddError("--petl-dim must be positive");
        });

        var cmd = new Command("train", "Train PETL modules and a head on a frozen backbone (AdamW, warm-up + cosine, resumable)");
        model.AddTo(cmd);
        data.AddTo(cmd);
        foreach (var o in new Option[] { loraAlpha, epochs, warmup, lr, minLr, wd, constant, seed, evalEvery, split, evalSplit, output, noResume,
            json, index, initFrom, strategy, distill, teacher, temperature, weight })
            cmd.Options.Add(o);
        cmd.AddValidator(r =>
        {
            string st = r.GetValue(strategy)!;
            if (r.GetValue(model.PetlMethod) is null) r.AddError("Option '--petl-method' is required.");
            if (r.GetValue(initFrom) is not null && st == "tfs") r.AddError("--strategy tfs trains the adapters from scratch; drop --init-from");
            if (r.GetValue(index) is not null && st != "tfs" && r.GetValue(initFrom) is null) r.AddError($"--strategy {st} retrains from the "
                + $"task's PETL weights: give --init-from");
            if (r.GetValue(distill) && r.GetValue(teacher) is null && r.GetValue(initFrom) is null) r.AddError("--distill needs the unpruned "
                + "model's PETL file: --teacher F (or --init-from F)");
            if (r.GetValue(teacher) is not null && !r.GetValue(distill)) r.AddError("--teacher goes with --distill");
            if (r.GetValue(loraAlpha) is not null && (r.GetValue(model.PetlMethod) is not ("lora" or "splora")
                || r.GetValue(model.PetlScale) is not null))
                r.AddError("--lora-alpha goes with --petl-method lora or splora, instead of --petl-scale");
        });
        cmd.SetAction((parse, cancellationToken) =>
        {
            var ctx = context();
            var modelOptions = model.Read(parse);
            string st = parse.GetValue(strategy)!;
            var petl = PetlSettings.ForTraining(modelOptions.PetlMethod!, modelOptions.PetlDim, modelOptions.PetlScale, parse.GetValue(loraAlpha));
            var options = new TrainOptions(modelOptions, data.Path(parse), petl, parse.GetValue(output)!.FullName, parse.GetValue(epochs),
                parse.GetValue(warmup),
                parse.GetValue(lr) ?? TrainOptions.DefaultLr(st), parse.GetValue(minLr), parse.GetValue(wd), parse.GetValue(seed),
                    parse.GetValue(evalEvery),
                parse.GetValue(split)!, parse.GetValue(evalSplit)!, parse.GetValue(constant) || TrainOptions.IsConstant(st),
                    !parse.GetValue(noResume),
                parse.GetValue(initFrom)?.FullName)
            {
                DataOptions = data.Read(parse, ctx.Err),
                Warn = line => ctx.Err.WriteLine($"sls: warning: {line}"),
                Note = line => ctx.Err.WriteLine($"sls: train: {line}"),
                Distill = parse.GetValue(distill) ? new DistillSettings(parse.GetValue(temperature), parse.GetValue(weight)) : null,
                DistillFrom = parse.GetValue(distill) ? (parse.GetValue(teacher) ?? parse.GetValue(initFrom))!.FullName : null,
            };
            var progress = new EpochLines(ctx.Err);
            var result = parse.GetValue(index) is { } idx
                ? Retraining.Run(options, idx.FullName, parse.GetValue(model.AllowMismatch), progress, cancellationToken)
                : PetlTrainer.Run(options, progress, cancellationToken);
            if (parse.GetValue(json)) Json.Write(ctx.Out, result);
            else if (result.Skipped is not null) ctx.Out.WriteLine($"Nothing trained; {result.Out} was not written");
            else ctx.Console.MarkupLine($"Best {result.BestAccuracy * 100:F2}% at epoch {result.BestEpoch} of {result.Epochs}; PETL weights in "
                + $"[bold]{Markup.Escape(result.Out)}[/]");
            return Task.FromResult(ExitCodes.Success);
        });
        return cmd;
    }

    private sealed class EpochLines(TextWriter err) : IProgress<EpochReport>
    {
        public void Report(EpochReport r) => err.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sls: train: epoch {r.Epoch}/{r.Epochs} lr {r.Lr:G3} loss {r.Loss:F4}{(r.Accuracy is double a ? $" accuracy {a * 100:F2}%" : "")}"
                + $"{(r.Best ? " (best, saved)" : "")}"));
    }
}
