using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.IO;
using SlsPrune.Core.Models;
using SlsPrune.Core.Runtime;
using SlsPrune.Core.Training.Upstream;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Training;

/// <summary>Options of <c>sls pretrain</c>: a small backbone of <paramref name="Family"/> (a name in
/// <see cref="BackboneFamilies.All"/>) whose shape is <paramref name="ImageSize"/>, <paramref name="PatchSize"/>,
/// <paramref name="Width"/> and the family's own settings in <paramref name="Shape"/> (<see cref="IBackboneFamily.PretrainSettings"/>:
/// a ViT's depth, heads and MLP width, a Swin's depths, heads per stage, window and MLP ratio; null: their defaults),
/// trained from scratch on an upstream set (<c>images</c> U8 [n, h, w], <c>labels</c> I64, as <c>sls data fashion-mnist</c>
/// writes it), each image rendered afresh every epoch by the upstream augmentation <paramref name="Augment"/>
/// (<see cref="UpstreamAugmentations"/>).</summary>
public sealed record PretrainOptions(
    string Upstream,
    string Out = "backbone.safetensors",
    int ImageSize = 32,
    int PatchSize = 8,
    int Width = 192,
    int Epochs = 5,
    int WarmupSteps = 300,
    double Lr = 1e-3,
    double MinLr = 1e-5,
    double WeightDecay = 0.05,
    int BatchSize = 128,
    int Seed = 0,
    int? Limit = null,
    string Device = "auto",
    string Family = BackboneFamilies.Default,
    ShapeValues? Shape = null,
    string Augment = "none")
{
    /// <summary>Every setting at its default (the upstream set empty; the family's own shape settings at the family's
    /// defaults): the one place the command line reads them from.</summary>
    public static readonly PretrainOptions Defaults = new("");
}

/// <summary>What pre-training produced.</summary>
public sealed record PretrainResult(string Out, int Images, IReadOnlyList<EpochReport> History, double Seconds);

/// <summary>
/// Trains every weight of a backbone (any family of <see cref="BackboneFamilies.All"/>) on the upstream classification task (AdamW; a linear warm-up
/// over the first
/// steps, then cosine per step, as ViTs trained from scratch need; seeded shuffles), the images resized once with the same Pillow-exact bicubic as
/// the evaluation pipeline and
/// normalised per batch. Writes the backbone (timm names, with its upstream head) atomically as safetensors.
/// </summary>
public static class BackbonePretrainer
{
    public static PretrainResult Run(PretrainOptions o, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var device = DeviceSelector.Resolve(o.Device);
        var family = Check(o);
        var augmentation = UpstreamAugmentations.Get(o.Augment);
        OutputPath.CheckFile(o.Out, "--out", o.Upstream);
        var (grey, h, w, labels, n) = LoadUpstream(o);
        // image i of an epoch, seeded per (seed, epoch, image), so rendering in parallel changes nothing
        RgbImage Render(int epoch, int i) =>
            augmentation.Render(grey.AsSpan(i * h * w, h * w), h, w, o.ImageSize, new Random(Seeds.Mix(Seeds.Mix(o.Seed, epoch, 2), i, 3)));
        RgbImage[] RenderAll(int epoch, IReadOnlyList<int> indices)
        {
            var images = new RgbImage[indices.Count];
            ParallelWork.For(indices.Count, k => images[k] = Render(epoch, indices[k]));
            return images;
        }
        var fixedImages = augmentation.SameEveryEpoch ? RenderAll(0, Enumerable.Range(0, n).ToArray()) : null;
        int classes = (int)labels.Max() + 1;

        torch.manual_seed(o.Seed);
        using var model = ModelFactory.Untrained(family, family.Untrained(Common(o), o.Shape ?? ShapeValues.Defaults, classes));
        model.to(device);
        using var optimizer = new AdamW(model.named_parameters().Select(np => (np.name, np.parameter)), o.WeightDecay);
        int stepsPerEpoch = (n + o.BatchSize - 1) / o.BatchSize, totalSteps = stepsPerEpoch * o.Epochs, step = 0;
        double LrAt(int s) => s < o.WarmupSteps
            ? o.Lr * (s + 1) / o.WarmupSteps
            : o.MinLr + 0.5 * (o.Lr - o.MinLr) * (1 + Math.Cos(Math.PI * (s - o.WarmupSteps) / Math.Max(1, totalSteps - o.WarmupSteps)));
        var pre = Preprocessor.For(model.Input);
        var history = new List<EpochReport>();
        for (int epoch = 0; epoch < o.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            model.train();
            double lr = LrAt(step);
            var order = Enumerable.Range(0, n).ToArray();
            new Random(Seeds.Mix(o.Seed, epoch, 1)).Shuffle(order);
            double lossSum = 0;
            long correct = 0;
            for (int start = 0; start < n; start += o.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                var idx = order.Skip(start).Take(o.BatchSize).ToArray();
                var batch = fixedImages is null ? RenderAll(epoch, idx) : idx.Select(i => fixedImages[i]).ToArray();
                var images = pre.ToTensor(batch).to(device);
                var y = torch.tensor(idx.Select(i => labels[i]).ToArray()).to(device);
                var logits = model.forward(images);
                var loss = nn.functional.cross_entropy(logits, y);
                optimizer.ZeroGrad();
                loss.backward();
                lr = LrAt(step++);
                optimizer.Step(lr);
                lossSum += loss.item<float>() * idx.Length;
                correct += logits.argmax(1).eq(y).sum().item<long>();
            }
            var report = new EpochReport(epoch + 1, o.Epochs, lr, lossSum / n, (double)correct / n, false);
            history.Add(report);
            progress?.Report(report);
        }
        var weights = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu(), StringComparer.Ordinal);
        SafetensorsWriter.Write(o.Out, weights, new Dictionary<string, string>
        {
            ["format"] = "slsprune-backbone/1",
            ["upstream"] = Path.GetFileName(o.Upstream),
            ["images"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["epochs"] = o.Epochs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["seed"] = o.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["family"] = family.Name,
            ["image_size"] = o.ImageSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["augment"] = augmentation.Name,
            ["train_accuracy"] = history[^1].Accuracy!.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        });
        return new PretrainResult(Path.GetFullPath(o.Out), n, history, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The widest <c>--width</c> taken (the widest published ViT's is 6,144).</summary>
    public const int MaxWidth = 1 << 14;

    /// <summary>Every option in range and the shape's activations and weights within <see cref="ActivationBudget"/>,
    /// before anything is read or built: the family.</summary>
    private static IBackboneFamily Check(PretrainOptions o)
    {
        var family = BackboneFamilies.Named(o.Family)
            ?? throw new SlsInputException("--family", $"'{o.Family}' is not one of {string.Join(", ", BackboneFamilies.All.Select(f => f.Name))}");
        InputSpec.CheckImageSize(o.ImageSize, "--image-size");
        if (o.PatchSize < 1 || o.PatchSize > o.ImageSize) throw new SlsInputException("--patch",
            $"must be within 1..{o.ImageSize} (the --image-size; got {o.PatchSize})");
        if (o.ImageSize % o.PatchSize != 0) throw new SlsInputException("--image-size",
            $"{o.ImageSize} is not a multiple of the patch size {o.PatchSize}");
        if (o.Width < 1 || o.Width > MaxWidth) throw new SlsInputException("--width", $"must be within 1..{MaxWidth} (got {o.Width})");
        if (o.Epochs < 1) throw new SlsInputException("--epochs", $"must be positive (got {o.Epochs})");
        if (o.WarmupSteps < 0) throw new SlsInputException("--warmup-steps", $"must not be negative (got {o.WarmupSteps})");
        if (o.BatchSize < 1) throw new SlsInputException("--batch-size", $"must be positive (got {o.BatchSize})");
        if (o.Limit is < 1) throw new SlsInputException("--limit", $"must be positive (got {o.Limit})");
        Hyperparameter.Check("--lr", o.Lr, 0, TrainOptions.MaxLr, minExcluded: true);
        Hyperparameter.Check("--min-lr", o.MinLr, 0, TrainOptions.MaxLr);
        Hyperparameter.Check("--weight-decay", o.WeightDecay, 0);
        var shape = family.Untrained(Common(o), o.Shape ?? ShapeValues.Defaults, 1);
        ActivationBudget.Check(shape.ActivationBytesPerImage, o.ImageSize, o.BatchSize);
        ActivationBudget.CheckTraining(shape, Models.Petl.PetlSettings.None,
            "--width, " + string.Join(", ", family.PretrainSettings.Select(s => s.Option)), wholeModel: true);
        return family;
    }

    private static PretrainShape Common(PretrainOptions o) => new(o.ImageSize, o.PatchSize, o.Width);

    private static (byte[] Grey, int Height, int Width, long[] Labels, int N) LoadUpstream(PretrainOptions o)
    {
        using var f = SafetensorsFile.Open(o.Upstream);
        var imagesInfo = f.Tensors.FirstOrDefault(t => t.Name == "images");
        if (imagesInfo is null || imagesInfo.DType != TensorDType.U8 || imagesInfo.Shape.Length != 3 || !f.Tensors.Any(t => t.Name == "labels"))
            throw new SlsInputException(o.Upstream, "an upstream set needs 'images' U8 [n, h, w] and 'labels' [n]");
        using var images = f.Read("images");
        using var labelsT = f.Read("labels");
        int n = (int)Math.Min(imagesInfo.Shape[0], o.Limit ?? long.MaxValue);
        int h = (int)imagesInfo.Shape[1], w = (int)imagesInfo.Shape[2];
        var raw = images.data<byte>().ToArray();
        var labels = labelsT.to(int64).data<long>().ToArray();
        if (labelsT.shape.Length != 1 || labels.Length < n || labels.Any(l => l < 0 || l >= Data.VtabTask.MaxClasses))
            throw new SlsInputException(o.Upstream, $"'labels' must be [n] integers within 0..{Data.VtabTask.MaxClasses - 1}, one per image ({n})");
        return (raw[..(n * h * w)], h, w, labels[..n], n);
    }
}
