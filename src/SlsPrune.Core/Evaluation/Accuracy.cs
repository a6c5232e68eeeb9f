using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Models;
using TorchSharp;

namespace SlsPrune.Core.Evaluation;

/// <summary>Top-1 correct predictions of a model over a split (eval mode, no grad, one scope per batch).</summary>
public static class Accuracy
{
    /// <param name="progress">images done so far.</param>
    public static (int Correct, int Seen) Count(Backbone model, IReadOnlyList<LabelledImage> items, Preprocessor preprocessor, int batchSize,
        torch.Device device, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        model.eval();
        return Count(images => model.forward(images.to(device)), items, preprocessor, batchSize, progress, cancellationToken);
    }

    /// <summary>The same for any engine: <paramref name="forward"/> maps a batch of normalised images to logits.</summary>
    public static (int Correct, int Seen) Count(Func<torch.Tensor, torch.Tensor> forward, IReadOnlyList<LabelledImage> items,
        Preprocessor preprocessor, int batchSize,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        Count(forward, BatchLoader.Batches(items, preprocessor, batchSize), progress, cancellationToken);

    /// <summary>The same over batches from anywhere (a split kept in memory); <paramref name="forward"/> maps a batch's
    /// <see cref="Data.Batch.Images"/> (whatever the batches hold) to logits.</summary>
    public static (int Correct, int Seen) Count(Func<torch.Tensor, torch.Tensor> forward, IEnumerable<Data.Batch> batches,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        using var _ = torch.no_grad();
        int correct = 0, seen = 0;
        foreach (var batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (batch)
            using (var scope = torch.NewDisposeScope())
            {
                correct += (int)forward(batch.Images).argmax(1).cpu().eq(batch.Labels).sum().item<long>();
                seen += (int)batch.Labels.shape[0];
            }
            progress?.Report(seen);
        }
        return (correct, seen);
    }

    /// <summary>Confusion counts over a split: <c>[true class][predicted class]</c> for <paramref name="classes"/>
    /// classes (the model's outputs); correct is the diagonal's sum, seen the total.</summary>
    public static int[][] Confusion(Func<torch.Tensor, torch.Tensor> forward, IReadOnlyList<LabelledImage> items, Preprocessor preprocessor,
        int batchSize, int classes,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        Confusion(forward, items, preprocessor, batchSize, classes, 1, progress, cancellationToken);

    /// <summary>The same with <paramref name="streams"/> batches side by side (<see cref="BatchStreams"/>; 1: in order): more
    /// than one only for a <paramref name="forward"/> that may run on several threads at once and takes libtorch's thread
    /// count (TorchSharp's; ONNX Runtime keeps its own threads).</summary>
    public static int[][] Confusion(Func<torch.Tensor, torch.Tensor> forward, IReadOnlyList<LabelledImage> items, Preprocessor preprocessor,
        int batchSize, int classes, int streams,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var perBatch = BatchStreams.Run(streams, items, preprocessor, batchSize, batch =>
        {
            using var scope = torch.NewDisposeScope();
            return (Predicted: forward(batch.Images).argmax(1).cpu().data<long>().ToArray(), Labels: batch.Labels.cpu().data<long>().ToArray())
                .ToTuple();
        }, progress, cancellationToken);
        var counts = Enumerable.Range(0, classes).Select(i => new int[classes]).ToArray();
        foreach (var (predicted, labels) in perBatch)
            for (int i = 0; i < labels.Length; i++)
                if (labels[i] >= 0 && labels[i] < classes && predicted[i] >= 0 && predicted[i] < classes) counts[labels[i]][predicted[i]]++;
        return counts;
    }

    /// <inheritdoc cref="Confusion(Func{torch.Tensor, torch.Tensor}, IReadOnlyList{LabelledImage}, Preprocessor, int, int, IProgress{int}?,
    /// CancellationToken)"/>
    public static int[][] Confusion(Backbone model, IReadOnlyList<LabelledImage> items, Preprocessor preprocessor, int batchSize,
        torch.Device device, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        model.eval();
        int streams = BatchStreams.ForSplit(device, items.Count, batchSize, model.ActivationBytesPerImage());
        return Confusion(images => model.forward(images.to(device)), items, preprocessor, batchSize, model.NumClasses, streams, progress,
            cancellationToken);
    }
}

/// <summary>One class's share of a split: its images, how many the model got right, and top-1 over them.</summary>
public sealed record ClassAccuracy(int Class, int Images, int Correct, double Top1)
{
    public static IReadOnlyList<ClassAccuracy> Of(int[][] confusion) =>
        confusion.Select((row, c) => new ClassAccuracy(c, row.Sum(), row[c], row.Sum() == 0 ? 0 : (double)row[c] / row.Sum())).ToArray();
}
