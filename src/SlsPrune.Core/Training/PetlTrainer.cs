using System.Globalization;
using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Models;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Models.Vit;
using SlsPrune.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Training;

/// <summary>Options of <c>sls train</c>. Defaults are the reference code's (AdamW lr 1e-3, wd 1e-4, 100
/// epochs, 10 warm-up, cosine to 1e-5; train on train800val200, evaluate on test every 10 epochs, keep the
/// best).</summary>
public sealed record TrainOptions(
    string Backbone,
    string Data,
    PetlSettings Petl,
    string Out,
    int Epochs = 100,
    int WarmupEpochs = 10,
    double Lr = 1e-3,
    double MinLr = 1e-5,
    double WeightDecay = 1e-4,
    int BatchSize = 64,
    int Seed = 0,
    int EvalEvery = 10,
    string TrainSplit = "train800val200",
    string EvalSplit = "test",
    string Device = "auto",
    int? Heads = null,
    bool ConstantLr = false,
    bool Resume = true,
    string? Index = null,
    string? InitFrom = null,
    bool AllowMismatch = false);

/// <summary>One epoch's report.</summary>
public sealed record EpochReport(int Epoch, int Epochs, double Lr, double Loss, double? Accuracy, bool Best);

/// <summary>What training produced.</summary>
/// <remarks><see cref="Index"/>: after retraining a pruned model, the index re-issued for the new PETL file.</remarks>
public sealed record TrainResult(string Out, int Epochs, int BestEpoch, double BestAccuracy, double FinalLoss, int ResumedFromEpoch, IReadOnlyList<EpochReport> History, string? Index = null);

/// <summary>
/// Trains PETL modules and a new head on a frozen backbone: the reference code's initialisation, AdamW with
/// the warm-up + cosine schedule stepped per epoch, a seeded shuffle and dropout stream per epoch (so a resumed
/// run continues exactly as an uninterrupted one), evaluation every k epochs with the best weights written
/// atomically to <c>Out</c>, and the full state (weights, optimizer, epoch, best) after every epoch in
/// <c>Out.state.safetensors</c>, from which an interrupted run resumes.
/// </summary>
public static class PetlTrainer
{
    public static string StatePath(string output) => output + ".state.safetensors";

    public static TrainResult Run(TrainOptions o, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        if (o.Epochs <= 0 || o.BatchSize <= 0 || o.EvalEvery <= 0) throw new SlsInputException("sls train", "epochs, batch size and eval interval must be positive");
        var device = DeviceSelector.Resolve(o.Device);
        var task = VtabTask.Open(o.Data);
        var trainItems = task.Read(o.TrainSplit);
        var evalItems = task.Read(o.EvalSplit);
        int classes = (int)Math.Max(trainItems.Max(i => i.Label), evalItems.Max(i => i.Label)) + 1;

        torch.manual_seed(o.Seed);
        using var model = Build(o, classes, out var config, out var plan);
        model.to(device);
        var trainable = model.named_parameters().Where(np => PetlSettings.IsPetlParameter(np.name)).Select(np => (np.name, np.parameter)).ToList();
        foreach (var (name, p) in model.named_parameters()) p.requires_grad = PetlSettings.IsPetlParameter(name);
        using var optimizer = new AdamW(trainable, o.WeightDecay);
        var schedule = new LrSchedule(o.Lr, o.Epochs, o.WarmupEpochs, o.MinLr, Constant: o.ConstantLr);
        var preprocessor = Preprocessor.For(config);
        string backboneSha = Inspection.InspectRunner.Sha256(o.Backbone);

        int start = 0, bestEpoch = -1;
        double best = double.NegativeInfinity;
        string state = StatePath(o.Out);
        if (o.Resume && File.Exists(state))
        {
            (start, bestEpoch, best) = LoadState(state, model, optimizer);
            if (start > o.Epochs) throw new SlsInputException(state, $"state is at epoch {start}, past the {o.Epochs} epochs asked for");
        }

        var history = new List<EpochReport>();
        double lastLoss = double.NaN;
        for (int epoch = start; epoch < o.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            double lr = schedule.At(epoch);
            model.train();
            torch.manual_seed(Seeds.Mix(o.Seed, epoch, 7)); // dropout stream of this epoch
            double lossSum = 0;
            int seen = 0;
            foreach (var batch in BatchLoader.Batches(trainItems, preprocessor, o.BatchSize, Seeds.Mix(o.Seed, epoch, 0)))
            {
                using (batch)
                using (var scope = torch.NewDisposeScope())
                {
                    var logits = model.forward(batch.Images.to(device));
                    var loss = nn.functional.cross_entropy(logits, batch.Labels.to(device));
                    optimizer.ZeroGrad();
                    loss.backward();
                    optimizer.Step(lr);
                    lossSum += loss.item<float>() * batch.Labels.shape[0];
                    seen += (int)batch.Labels.shape[0];
                }
            }
            lastLoss = lossSum / seen;
            double? acc = null;
            bool isBest = false;
            if ((epoch + 1) % o.EvalEvery == 0 || epoch == o.Epochs - 1)
            {
                var (correct, evaluated) = Evaluation.Accuracy.Count(model, evalItems, preprocessor, o.BatchSize, device, cancellationToken: cancellationToken);
                acc = (double)correct / evaluated;
                if (acc > best)
                {
                    best = acc.Value;
                    bestEpoch = epoch;
                    isBest = true;
                    SavePetl(o, model, plan, classes, epoch, best, backboneSha);
                }
            }
            SaveState(state, model, optimizer, epoch + 1, bestEpoch, best);
            var report = new EpochReport(epoch + 1, o.Epochs, lr, lastLoss, acc, isBest);
            history.Add(report);
            progress?.Report(report);
        }
        string? reissued = null;
        if (o.Index is not null && File.Exists(o.Out))
        {
            // The retrained weights are a new PETL file: re-issue the index for it so `eval --index` accepts the pair.
            var index = Pruning.PruningIndex.Load(o.Index);
            reissued = Path.ChangeExtension(Path.GetFullPath(o.Out), ".sls.json");
            (index with
            {
                Petl = new Pruning.FileFingerprint(Path.GetFullPath(o.Out), Inspection.InspectRunner.Sha256(o.Out)),
                Decision = index.Decision + $" (PETL retrained on the kept blocks: best {best:P2} at epoch {bestEpoch + 1})",
                Created = DateTimeOffset.UtcNow,
            }).Save(reissued);
        }
        return new TrainResult(Path.GetFullPath(o.Out), o.Epochs, bestEpoch + 1, best, lastLoss, start, history, reissued);
    }

    /// <summary>The model to train: the backbone's blocks (all, or those an index keeps, at their kept widths), fresh
    /// adapters and head as the reference initialises them, or those of <c>InitFrom</c> (retraining after pruning).</summary>
    private static VisionTransformer Build(TrainOptions o, int classes, out VitConfig config, out ModelPlan plan)
    {
        using var backbone = CheckpointFile.Open(o.Backbone);
        var full = VitConfigInference.Infer(StateDictReader.TimmShapes(backbone), o.Heads, o.Backbone) with { NumClasses = classes };
        plan = ModelPlan.Full(full.Depth);
        if (o.Index is not null)
        {
            var index = Pruning.PruningIndex.Load(o.Index);
            if (index.Depth != full.Depth)
                throw new SlsInputException(o.Index, $"index is for a {index.Depth}-block model but {o.Backbone} has {full.Depth} blocks");
            if (!o.AllowMismatch && !string.Equals(index.Backbone.Sha256, Inspection.InspectRunner.Sha256(o.Backbone), StringComparison.OrdinalIgnoreCase))
                throw new SlsInputException(o.Index, $"index was computed for a different backbone than {o.Backbone}; pass --allow-mismatch to use it anyway");
            plan = index.ToPlan();
            plan.Validate(full, o.Index);
        }
        config = full with { Depth = plan.Blocks.Count };
        var weights = plan.Apply(StateDictReader.ReadTimm(backbone, plan.Keeps), full);
        var model = new VisionTransformer(config, o.Petl, Enumerable.Range(0, config.Depth).Select(plan.WidthAt).ToArray());   // head: torch's default Linear init (as timm's reset_classifier)
        model.ResetAdapters();
        foreach (var k in weights.Keys.Where(k => k.StartsWith("head.", StringComparison.Ordinal)).ToList()) weights.Remove(k);
        foreach (var (name, p) in model.state_dict().Where(kv => PetlSettings.IsPetlParameter(kv.Key))) weights[name] = p.clone();
        if (o.InitFrom is not null)
        {
            using var init = CheckpointFile.Open(o.InitFrom);
            var method = PetlDetector.DetectMethod(init.Tensors.Select(t => t.Name));
            if (method != o.Petl.Method)
                throw new SlsInputException(o.InitFrom, $"holds {PetlSettings.Name(method)} weights but training asks for {PetlSettings.Name(o.Petl.Method)}");
            foreach (var (name, t) in plan.Apply(StateDictReader.ReadTimm(init, plan.Keeps), full))
            {
                if (!weights.TryGetValue(name, out var fresh) || !fresh.shape.SequenceEqual(t.shape))
                    throw new SlsInputException(o.InitFrom, $"tensor '{name}' does not fit the model being trained");
                weights[name] = t;
            }
        }
        StateDictLoader.Load(model, weights, o.Backbone);
        foreach (var w in weights.Values) w.Dispose();
        return model;
    }

    /// <summary>The PETL tensors, named by block as in the full backbone (so a PETL file means the same with
    /// or without its index).</summary>
    private static Dictionary<string, Tensor> PetlFileTensors(VisionTransformer model, ModelPlan plan) =>
        PetlTensors(model).ToDictionary(kv => ModelPlan.BlockOf(kv.Key) is (int b, string rest) ? $"blocks.{plan.Blocks[b]}.{rest}" : kv.Key, kv => kv.Value, StringComparer.Ordinal);

    private static Dictionary<string, Tensor> PetlTensors(VisionTransformer model) =>
        model.state_dict().Where(kv => PetlSettings.IsPetlParameter(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu(), StringComparer.Ordinal);

    private static void SavePetl(TrainOptions o, VisionTransformer model, ModelPlan plan, int classes, int epoch, double accuracy, string backboneSha)
    {
        var inv = CultureInfo.InvariantCulture;
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "slsprune-petl/1",
            ["petl_method"] = PetlSettings.Name(o.Petl.Method),
            ["petl_dim"] = o.Petl.HiddenDim.ToString(inv),
            ["petl_scale"] = o.Petl.Scale.ToString("R", inv),
            ["petl_groups"] = o.Petl.Groups.ToString(inv),
            ["num_classes"] = classes.ToString(inv),
            ["depth"] = plan.Blocks.Count.ToString(inv),
            ["epoch"] = (epoch + 1).ToString(inv),
            ["accuracy"] = accuracy.ToString("R", inv),
            ["eval_split"] = o.EvalSplit,
            ["backbone_sha256"] = backboneSha,
        };
        SafetensorsWriter.Write(o.Out, PetlFileTensors(model, plan), metadata);
    }

    private static void SaveState(string path, VisionTransformer model, AdamW optimizer, int nextEpoch, int bestEpoch, double best)
    {
        var d = PetlTensors(model).ToDictionary(kv => "model." + kv.Key, kv => kv.Value, StringComparer.Ordinal);
        foreach (var (k, v) in optimizer.StateDict()) d[k] = v.cpu();
        d["train.next_epoch"] = torch.tensor((long)nextEpoch);
        d["train.best_epoch"] = torch.tensor((long)bestEpoch);
        d["train.best_accuracy"] = torch.tensor(best);
        SafetensorsWriter.Write(path, d, new Dictionary<string, string> { ["format"] = "slsprune-train-state/1" });
    }

    private static (int NextEpoch, int BestEpoch, double Best) LoadState(string path, VisionTransformer model, AdamW optimizer)
    {
        using var f = SafetensorsFile.Open(path);
        if (!f.Metadata.TryGetValue("format", out var fmt) || fmt != "slsprune-train-state/1")
            throw new SlsInputException(path, "not a training state file (format slsprune-train-state/1)");
        var d = CheckpointFile.ReadAll(f);
        using (torch.no_grad())
        {
            foreach (var (name, p) in model.state_dict().Where(kv => PetlSettings.IsPetlParameter(kv.Key)))
            {
                if (!d.TryGetValue("model." + name, out var saved) || !saved.shape.SequenceEqual(p.shape))
                    throw new SlsInputException(path, $"training state does not match this model (tensor '{name}')");
                p.copy_(saved);
            }
        }
        optimizer.LoadStateDict(d, path);
        return ((int)d["train.next_epoch"].item<long>(), (int)d["train.best_epoch"].item<long>(), d["train.best_accuracy"].item<double>());
    }
}
