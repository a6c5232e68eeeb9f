using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Evaluation;
using SlsPrune.Core.Models;
using SlsPrune.Core.Models.Petl;
using SlsPrune.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Training;

/// <summary>How to fit: the reference code's AdamW with warm-up + cosine stepped per epoch (or a constant rate),
/// evaluation every <see cref="EvalEvery"/> epochs and at the end.</summary>
public sealed record FitSettings(int Epochs, int WarmupEpochs, double Lr, double MinLr, double WeightDecay, int BatchSize, int Seed, int EvalEvery,
    bool ConstantLr)
{
    public LrSchedule Schedule => new(Lr, Epochs, WarmupEpochs, MinLr, Constant: ConstantLr);

    /// <summary>Bytes of the splits kept in memory across epochs (<see cref="SplitCache"/>; 0: read every epoch from the files).</summary>
    public long CacheBytes { get; init; } = SplitCache.BudgetBytes;
}

/// <summary>Knowledge distillation from a teacher's logits (Hinton et al.): the loss is
/// <c>(1 - w) CE(student, labels) + w T^2 KL(softmax(teacher / T) || softmax(student / T))</c>.</summary>
public sealed record DistillSettings(double Temperature = 4.0, double Weight = 0.5)
{
    /// <summary>Every setting at its default.</summary>
    public static readonly DistillSettings Defaults = new();

    /// <exception cref="SlsInputException">for a temperature that is not positive or a weight outside [0, 1].</exception>
    public void Validate()
    {
        if (!(Temperature > 0) || double.IsInfinity(Temperature)) throw new SlsInputException("--distill-temperature",
            $"must be a positive number (got {Temperature})");
        if (!(Weight >= 0 && Weight <= 1)) throw new SlsInputException("--distill-weight", $"must be within 0..1 (got {Weight})");
    }
}

/// <summary>A teacher for distillation: logits of a batch of images (on the training device), computed without grad.</summary>
public sealed record Teacher(Func<Tensor, Tensor> Logits, DistillSettings Settings);

/// <summary>Where a fit starts: the next epoch, the best epoch so far (-1: none) and its accuracy, and the last
/// epoch's loss (null: none run yet).</summary>
public sealed record FitStart(int NextEpoch, int BestEpoch, double Best, double? FinalLoss = null)
{
    public static readonly FitStart Fresh = new(0, -1, double.NegativeInfinity);
}

/// <summary>What a fit ended with (<see cref="FinalLoss"/> null: no epoch was ever run).</summary>
public sealed record FitResult(int BestEpoch, double Best, double? FinalLoss, IReadOnlyList<EpochReport> History);

/// <summary>Hooks of a fit: the optimizer once made (to restore a saved state), a new best (epoch, accuracy), and
/// the end of every epoch (the optimizer and where the fit stands), where a resumable run saves its state.</summary>
public sealed record FitHooks(Func<AdamW, FitStart>? Restore = null, Action<int, double>? OnBest = null, Action<AdamW, FitStart>? OnEpochEnd = null);

/// <summary>
/// The training loop, in memory: trains a model's task parameters (PETL modules and head) on a frozen backbone
/// with a seeded shuffle and dropout stream per epoch (so a resumed run continues exactly as an uninterrupted one),
/// and evaluates on a split. Files are the caller's business (<see cref="PetlTrainer"/> writes them; greedy layer
/// pruning keeps every candidate in memory). Cancellation is checked before every batch.
/// </summary>
public static class PetlFit
{
    /// <param name="teacher">distil from these logits besides the labels (null: cross-entropy alone).</param>
    public static FitResult Run(Backbone model, IReadOnlyList<LabelledImage> train, IReadOnlyList<LabelledImage> eval, FitSettings s, Device device,
        FitHooks? hooks = null, IProgress<EpochReport>? progress = null, Teacher? teacher = null, CancellationToken cancellationToken = default)
    {
        var trainable = model.named_parameters().Where(np => PetlMethods.IsTaskParameter(np.name)).Select(np => (np.name, np.parameter)).ToList();
        foreach (var (name, p) in model.named_parameters()) p.requires_grad = PetlMethods.IsTaskParameter(name);
        using var optimizer = new AdamW(trainable, s.WeightDecay);
        var schedule = s.Schedule;
        var preprocessor = Preprocessor.For(model.Input);
        var (start, bestEpoch, best, restoredLoss) = hooks?.Restore?.Invoke(optimizer) ?? FitStart.Fresh;

        // Head only (a linear probe): the frozen backbone's tokens do not change, so they are computed once per split
        // and every epoch runs the head alone on them. Otherwise the images are decoded once and kept. Either within
        // SplitCache's budget; a split that does not fit is read from the files every epoch.
        bool headOnly = teacher is null && trainable.All(np => np.name.StartsWith("head.", StringComparison.Ordinal));
        long budget = s.CacheBytes;
        Func<Tensor, Tensor>? Tokens(bool training) => headOnly ? images =>
        {
            if (training) model.train(); else model.eval();
            using var scope = torch.NewDisposeScope();
            var x = model.Embed(images.to(device));
            for (int i = 0; i < model.Depth; i++)
            {
                var next = model.RunBlock(i, x);
                x.Dispose();
                x = next;
            }
            return x.MoveToOuterDisposeScope(); // what Head takes: model.forward(images) = model.Head(this)
        }
        : null;
        using var trainCache = start < s.Epochs ? SplitCache.TryCreate(train, preprocessor, s.BatchSize, ref budget, Tokens(training: true),
            cancellationToken) : null;
        bool trainTokens = headOnly && trainCache is not null;
        SplitCache? evalCache = null;
        bool evalTried = false, evalTokens = false;

        var history = new List<EpochReport>();
        double? lastLoss = restoredLoss;
        try
        {
            for (int epoch = start; epoch < s.Epochs; epoch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                double lr = schedule.At(epoch);
                model.train();
                torch.manual_seed(Seeds.Mix(s.Seed, epoch, 7)); // dropout stream of this epoch
                double lossSum = 0;
                int seen = 0;
                int shuffle = Seeds.Mix(s.Seed, epoch, 0);
                foreach (var batch in trainCache?.Batches(s.BatchSize, shuffle) ?? BatchLoader.Batches(train, preprocessor, s.BatchSize, shuffle))
                {
                    using (batch)
                    using (var scope = torch.NewDisposeScope())
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var images = batch.Images.to(device);
                        var logits = trainTokens ? model.Head(images) : model.forward(images);
                        var loss = nn.functional.cross_entropy(logits, batch.Labels.to(device));
                        if (teacher is not null) loss = Distilled(loss, logits, images, teacher);
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
                if ((epoch + 1) % s.EvalEvery == 0 || epoch == s.Epochs - 1)
                {
                    if (!evalTried)
                    {
                        evalTried = true;
                        evalCache = SplitCache.TryCreate(eval, preprocessor, s.BatchSize, ref budget, Tokens(training: false), cancellationToken);
                        evalTokens = headOnly && evalCache is not null;
                    }
                    model.eval();
                    var (correct, evaluated) = evalCache is null
                        ? Accuracy.Count(model, eval, preprocessor, s.BatchSize, device, cancellationToken: cancellationToken)
                        : Accuracy.Count(x => evalTokens ? model.Head(x.to(device)) : model.forward(x.to(device)), evalCache.Batches(s.BatchSize),
                            cancellationToken: cancellationToken);
                    acc = (double)correct / evaluated;
                    if (acc > best)
                    {
                        best = acc.Value;
                        bestEpoch = epoch;
                        isBest = true;
                        hooks?.OnBest?.Invoke(epoch, best);
                    }
                }
                hooks?.OnEpochEnd?.Invoke(optimizer, new FitStart(epoch + 1, bestEpoch, best, lastLoss));
                var report = new EpochReport(epoch + 1, s.Epochs, lr, lastLoss.Value, acc, isBest);
                history.Add(report);
                progress?.Report(report);
            }
        }
        finally
        {
            evalCache?.Dispose();
        }
        return new FitResult(bestEpoch, best, lastLoss, history);
    }

    /// <summary><c>(1 - w) ce + w T^2 KL(p_teacher || p_student)</c> at temperature T, KL summed over classes and
    /// averaged over the batch (PyTorch's <c>kl_div(..., reduction='batchmean')</c>).</summary>
    public static Tensor Distilled(Tensor crossEntropy, Tensor logits, Tensor images, Teacher teacher)
    {
        double t = teacher.Settings.Temperature, w = teacher.Settings.Weight;
        Tensor target;
        using (torch.no_grad()) target = nn.functional.log_softmax(teacher.Logits(images).to(logits.dtype) / t, 1);
        var student = nn.functional.log_softmax(logits / t, 1);
        var kl = (target.exp() * (target - student)).sum(1).mean();
        return crossEntropy * (1 - w) + kl * (w * t * t);
    }

    /// <summary>The model's task tensors (PETL modules and head), detached on the CPU, named by block as in the full
    /// backbone (<paramref name="plan"/>'s kept blocks), so a PETL file means the same with or without its index. Copies: training goes on without
    /// changing them.</summary>
    public static Dictionary<string, Tensor> TaskTensors(Backbone model, ModelPlan plan) =>
        model.state_dict().Where(kv => PetlMethods.IsTaskParameter(kv.Key)).ToDictionary(
            kv => BlockKey.Parse(kv.Key) is (int b, string rest) ? BlockKey.Name(plan.Blocks[b], rest) : kv.Key,
            kv => kv.Value.detach().cpu().clone(), StringComparer.Ordinal);
}
