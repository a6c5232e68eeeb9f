using System.Globalization;
using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data;
using SlsPrune.Core.IO;
using SlsPrune.Core.Models;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Training;

/// <summary>Options of <c>sls train</c>. Defaults are the reference code's (AdamW lr 1e-3, wd 1e-4, 100
/// epochs, 10 warm-up, cosine to 1e-5; train on train800val200, evaluate on test every 10 epochs, keep the
/// best), declared here once (<see cref="Defaults"/>): the command line and a batch manifest read them from here. <see cref="Plan"/> trains a pruned
/// model (its kept blocks at their widths), checked with <see cref="Check"/>.</summary>
public sealed record TrainOptions(
    ModelOptions Model,
    string Data,
    PetlSettings Petl,
    string Out = "petl.safetensors",
    int Epochs = 100,
    int WarmupEpochs = 10,
    double Lr = 1e-3,
    double MinLr = 1e-5,
    double WeightDecay = 1e-4,
    int Seed = 0,
    int EvalEvery = 10,
    string TrainSplit = SplitNames.TrainVal,
    string EvalSplit = SplitNames.Test,
    bool ConstantLr = false,
    bool Resume = true,
    string? InitFrom = null)
{
    /// <summary>The pruned model to train (its kept blocks at their widths, as an index gives them); null: the full backbone.</summary>
    public ModelPlan? Plan { get; init; }

    /// <summary>How <see cref="Data"/> is read (CSV columns, EXIF orientation, where the layout is said).</summary>
    public DataOptions DataOptions { get; init; } = DataOptions.Defaults;

    /// <summary>Receives one line per thing the user should know that does not stop the run (an assumed input size).</summary>
    public Action<string>? Warn { get; init; }

    /// <summary>Receives one line per thing that is worth saying but neither a warning nor progress (resuming).</summary>
    public Action<string>? Note { get; init; }

    /// <summary>The file the plan came from (named in errors).</summary>
    public string? PlanSource { get; init; }

    /// <summary>The files <see cref="Plan"/> was computed for (backbone and PETL SHA-256), checked before training; null: no check.</summary>
    public FingerprintCheck? Check { get; init; }

    /// <summary>Distil from the unpruned model: the backbone with the PETL file <see cref="DistillFrom"/> (the task's
    /// weights before pruning) is the teacher.</summary>
    public DistillSettings? Distill { get; init; }

    /// <summary>The teacher's PETL file (on the full backbone).</summary>
    public string? DistillFrom { get; init; }

    /// <summary>The strategies of retraining after pruning: ft (constant lr 1e-5 from the task's weights), clr
    /// (warm-up + cosine from them), tfs (adapters from scratch).</summary>
    public static readonly IReadOnlyList<string> Strategies = ["ft", "clr", "tfs"];

    /// <summary>The strategy of retraining where none is named.</summary>
    public const string DefaultStrategy = "clr";

    /// <summary>The constant learning rate of the <c>ft</c> strategy.</summary>
    public const double FineTuneLr = 1e-5;

    /// <summary>The learning rate a strategy starts from when none is given.</summary>
    public static double DefaultLr(string? strategy) => strategy == "ft" ? FineTuneLr : Defaults.Lr;

    /// <summary>Every setting at its default (model, data and PETL method empty).</summary>
    public static readonly TrainOptions Defaults = new(ModelOptions.Defaults, "", PetlSettings.Defaults);

    /// <summary>Whether a strategy keeps the rate constant.</summary>
    public static bool IsConstant(string? strategy) => strategy == "ft";

    /// <summary>The largest learning rate taken (<c>--lr</c>, <c>--min-lr</c>; AdamW moves every weight by about the rate each
    /// step, so a rate above 1 only trains noise). Pre-training shares it.</summary>
    public const double MaxLr = 1;

    /// <summary>The hyper-parameters in range, before anything is read: epochs, batch size and eval interval positive,
    /// warm-up non-negative, learning rates within 0..<see cref="MaxLr"/> (the peak above 0), weight decay non-negative,
    /// every number finite.</summary>
    /// <exception cref="SlsInputException">naming the option at fault.</exception>
    public void CheckSettings()
    {
        if (Epochs <= 0 || Model.BatchSize <= 0 || EvalEvery <= 0) throw new SlsInputException("sls train",
            "epochs, batch size and eval interval must be positive");
        if (WarmupEpochs < 0) throw new SlsInputException("--warmup-epochs", $"must not be negative (got {WarmupEpochs})");
        Hyperparameter.Check("--lr", Lr, 0, MaxLr, minExcluded: true);
        Hyperparameter.Check("--min-lr", MinLr, 0, MaxLr);
        Hyperparameter.Check("--weight-decay", WeightDecay, 0);
        Hyperparameter.Check("--petl-scale", Petl.Scale);
        Distill?.Validate();
    }

    internal FitSettings Fit => new(Epochs, WarmupEpochs, Lr, MinLr, WeightDecay, Model.BatchSize, Seed, EvalEvery, ConstantLr);
}

/// <summary>One epoch's report.</summary>
public sealed record EpochReport(int Epoch, int Epochs, double Lr, double Loss, double? Accuracy, bool Best);

/// <summary>What training produced.</summary>
/// <remarks><see cref="Index"/>: after retraining a pruned model, the index re-issued for the new PETL file.
/// <see cref="Skipped"/>: why nothing was trained (an index that keeps every block: <see cref="Pruning.Retraining"/>); then
/// no file was written and <see cref="Epochs"/> is 0.</remarks>
public sealed record TrainResult(string Out, int Epochs, int BestEpoch, double BestAccuracy, double? FinalLoss, int ResumedFromEpoch,
    IReadOnlyList<EpochReport> History, string? Index = null)
{
    /// <summary>Why nothing was trained (an index that keeps every block); null when training ran, and then left out of the JSON.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Skipped { get; init; }
}

/// <summary>
/// <c>sls train</c>: builds the model to train (<see cref="ModelFactory.BuildTrainable"/>), fits it
/// (<see cref="PetlFit"/>), writes the best weights atomically to <c>Out</c> and the full state (weights, optimizer,
/// epoch, best) after every epoch to <c>Out.state.safetensors</c>, from which an interrupted run resumes.
/// </summary>
public static class PetlTrainer
{
    /// <summary>Where training keeps its resumable state for the PETL file <paramref name="output"/>: <c>OUTPUT.state.safetensors</c>.</summary>
    public static string StatePath(string output) => output + ".state.safetensors";

    /// <summary>Trains the PETL modules and head of <see cref="TrainOptions.Petl"/>'s method on <see cref="TrainOptions.TrainSplit"/>
    /// (the backbone frozen), evaluating top-1 on <see cref="TrainOptions.EvalSplit"/> every <see cref="TrainOptions.EvalEvery"/>
    /// epochs and writing the best epoch's weights to <see cref="TrainOptions.Out"/> atomically. With
    /// <see cref="TrainOptions.Resume"/> a run continues from <see cref="StatePath"/> when its settings match.
    /// <paramref name="progress"/> receives one report per epoch.</summary>
    /// <exception cref="SlsInputException">naming the option or file at fault: invalid hyper-parameters, an output that would
    /// overwrite an input, an unreadable checkpoint or data folder, a state file from other settings.</exception>
    /// <exception cref="OperationCanceledException">when <paramref name="cancellationToken"/> is cancelled; the state of the
    /// last finished epoch stays for resuming.</exception>
    public static TrainResult Run(TrainOptions o, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        o.CheckSettings();
        string?[] inputs = [o.Model.Backbone, o.Model.Petl, o.InitFrom, o.PlanSource, o.Data, o.DistillFrom];
        OutputPath.CheckFile(o.Out, "--out", inputs);
        OutputPath.CheckFile(StatePath(o.Out), "--out", inputs);
        var device = DeviceSelector.Resolve(o.Model.Device);
        var task = DataLayouts.Open(o.Data, o.DataOptions);
        o = o with
        {
            TrainSplit = DataLayouts.Split(task, o.TrainSplit, o.DataOptions),
            EvalSplit = DataLayouts.Split(task, o.EvalSplit,
            o.DataOptions)
        };
        var taskFiles = TaskFiles.RealPaths(task); // read once, and only where an output exists already
        OutputPath.CheckNotAmong(o.Out, "--out", taskFiles);
        OutputPath.CheckNotAmong(StatePath(o.Out), "--out", taskFiles);
        var trainItems = task.Read(o.TrainSplit);
        var evalItems = task.Read(o.EvalSplit);
        int classes = Math.Max(task.ClassNames?.Count ?? 0, Math.Max(trainItems.Max(i => i.Label), evalItems.Max(i => i.Label)) + 1);

        torch.manual_seed(o.Seed);
        using var built = ModelFactory.BuildTrainable(o.Model, new TrainableRequest(o.Petl, classes, o.InitFrom), o.Plan, o.PlanSource, o.Check);
        InputSizeCheck.Check(built, o.Model.Backbone, trainItems, o.Warn);
        var model = built.Model;
        model.to(device);
        string backboneSha = built.BackboneFile.Sha256;
        string state = StatePath(o.Out);
        int resumedFrom = 0;
        var hooks = new FitHooks(
            Restore: optimizer =>
            {
                if (!o.Resume || !File.Exists(state)) return FitStart.Fresh;
                var start = LoadState(state, model, optimizer, Settings(o));
                if (start.NextEpoch > o.Epochs) throw new SlsInputException(state, $"state is at epoch {start.NextEpoch}, past the {o.Epochs} "
                    + $"epochs asked for");
                resumedFrom = start.NextEpoch;
                o.Note?.Invoke(start.NextEpoch >= o.Epochs
                    ? $"all {o.Epochs} epochs were done in {Path.GetFileName(state)}; nothing left to train (--no-resume starts over)"
                    : $"resuming at epoch {start.NextEpoch + 1} of {o.Epochs} from {Path.GetFileName(state)}"
                      + (start.BestEpoch >= 0 ? $" (best so far {start.Best * 100:F2}% at epoch {start.BestEpoch + 1})" : "")
                          + "; --no-resume starts over");
                return start;
            },
            OnBest: (epoch, accuracy) => SavePetl(o, model, built.Plan, classes, epoch, accuracy, backboneSha, task.ClassNames),
            OnEpochEnd: (optimizer, at) => SaveState(state, model, optimizer, at, Settings(o)));
        using var teacher = o.Distill is null ? null : TeacherModel(o, device);
        var fit = PetlFit.Run(model, trainItems, evalItems, o.Fit, device, hooks, progress,
            teacher is null ? null : new Teacher(x => teacher.Model.forward(x), o.Distill!), cancellationToken);
        return new TrainResult(Path.GetFullPath(o.Out), o.Epochs, fit.BestEpoch + 1, fit.Best, fit.FinalLoss, resumedFrom, fit.History);
    }

    /// <summary>The unpruned model (full backbone, the task's PETL file), in eval mode on the device.</summary>
    private static BuiltModel TeacherModel(TrainOptions o, Device device)
    {
        o.Distill!.Validate();
        string from = o.DistillFrom ?? throw new SlsInputException("--distill", "needs the unpruned model's PETL file as the teacher (--init-from)");
        var built = ModelFactory.Build(o.Model with { Petl = from, Precision = Runtime.Precision.Fp32 }, device);
        foreach (var p in built.Model.parameters()) p.requires_grad = false;
        return built;
    }

    /// <param name="classNames">the data's class names, kept in the file's metadata (<c>class_names</c>) so the head's classes stay named.</param>
    private static void SavePetl(TrainOptions o, Backbone model, ModelPlan plan, int classes, int epoch, double accuracy, string backboneSha,
        IReadOnlyList<string>? classNames)
    {
        var inv = CultureInfo.InvariantCulture;
        var extra = new Dictionary<string, string>
        {
            ["epoch"] = (epoch + 1).ToString(inv),
            ["accuracy"] = accuracy.ToString("R", inv),
            ["eval_split"] = o.EvalSplit,
            ["backbone_sha256"] = backboneSha,
        };
        if (classNames is { Count: > 0 } && classNames.Count == classes) extra["class_names"] = System.Text.Json.JsonSerializer.Serialize(classNames);
        PetlFile.Write(o.Out, PetlFit.TaskTensors(model, plan), o.Petl, classes, plan.Blocks.Count, extra);
    }

    /// <summary>What decides a run's result, as it is saved with its state: resuming under other settings is refused.</summary>
    private static SortedDictionary<string, string> Settings(TrainOptions o)
    {
        var inv = CultureInfo.InvariantCulture;
        var s = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["epochs"] = o.Epochs.ToString(inv), ["warmup_epochs"] = o.WarmupEpochs.ToString(inv), ["lr"] = o.Lr.ToString("R", inv),
            ["min_lr"] = o.MinLr.ToString("R", inv), ["weight_decay"] = o.WeightDecay.ToString("R", inv), ["seed"] = o.Seed.ToString(inv),
            ["batch_size"] = o.Model.BatchSize.ToString(inv), ["constant_lr"] = o.ConstantLr ? "true" : "false", ["petl_method"] = o.Petl.Method.Name,
            ["petl_dim"] = o.Petl.HiddenDim.ToString(inv), ["petl_scale"] = o.Petl.Scale.ToString("R", inv), ["split"] = o.TrainSplit,
            ["eval_split"] = o.EvalSplit,
        };
        if (o.Plan is { } plan) s["blocks"] = string.Join(",", plan.Blocks);
        if (o.Distill is { } d) s["distill"] = $"T={d.Temperature.ToString("R", inv)} w={d.Weight.ToString("R", inv)}";
        return s;
    }

    private static void SaveState(string path, Backbone model, AdamW optimizer, FitStart at, SortedDictionary<string, string> settings)
    {
        int nextEpoch = at.NextEpoch, bestEpoch = at.BestEpoch;
        double best = at.Best;
        var d = PetlFit.TaskTensors(model, ModelPlan.Full(model.Depth)).ToDictionary(kv => "model." + kv.Key, kv => kv.Value, StringComparer.Ordinal);
        foreach (var (k, v) in optimizer.StateDict()) d[k] = v.cpu();
        d["train.next_epoch"] = torch.tensor((long)nextEpoch);
        d["train.best_epoch"] = torch.tensor((long)bestEpoch);
        d["train.best_accuracy"] = torch.tensor(best);
        if (at.FinalLoss is double loss) d["train.final_loss"] = torch.tensor(loss);
        SafetensorsWriter.Write(path, d, new Dictionary<string, string>
        {
            ["format"] = "slsprune-train-state/1", ["settings"] = System.Text.Json.JsonSerializer.Serialize(settings)
        });
    }

    private static FitStart LoadState(string path, Backbone model, AdamW optimizer, SortedDictionary<string, string> settings)
    {
        using var f = SafetensorsFile.Open(path);
        if (!f.Metadata.TryGetValue("format", out var fmt) || fmt != "slsprune-train-state/1")
            throw new SlsInputException(path, "not a training state file (format slsprune-train-state/1)");
        if (f.Metadata.TryGetValue("settings", out var json))
        {
            Dictionary<string, string>? saved;
            try { saved = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(json); }
            catch (System.Text.Json.JsonException) { throw new SlsInputException(path, "training state's settings are not readable"); }
            var differ = settings.Keys.Union(saved?.Keys.AsEnumerable() ?? []).Order(StringComparer.Ordinal)
                .Where(k => (saved?.GetValueOrDefault(k)) != settings.GetValueOrDefault(k))
                .Select(k => $"{k} {Printable.Escape(saved?.GetValueOrDefault(k) ?? "-")} -> {settings.GetValueOrDefault(k) ?? "-"}").ToList();
            if (differ.Count > 0)
                throw new SlsInputException(path, $"training state is of a run with other settings ({string.Join(", ", differ)}); rerun with "
                    + $"--no-resume to start over");
        }
        foreach (var key in new[] { "train.next_epoch", "train.best_epoch", "train.best_accuracy" })
            if (!f.Tensors.Any(t => t.Name == key)) throw new SlsInputException(path, $"training state lacks '{key}'");
        var d = CheckpointFile.ReadAll(f);
        using (torch.no_grad())
        {
            foreach (var (name, p) in model.state_dict().Where(kv => PetlMethods.IsTaskParameter(kv.Key)))
            {
                if (!d.TryGetValue("model." + name, out var saved) || !saved.shape.SequenceEqual(p.shape))
                    throw new SlsInputException(path, $"training state does not match this model (tensor '{name}')");
                p.copy_(saved);
            }
        }
        optimizer.LoadStateDict(d, path);
        return new FitStart((int)d["train.next_epoch"].item<long>(), (int)d["train.best_epoch"].item<long>(), d["train.best_accuracy"].item<double>(),
            d.TryGetValue("train.final_loss", out var loss) ? loss.item<double>() : null);
    }
}
