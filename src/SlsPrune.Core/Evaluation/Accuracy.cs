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
    public static (int Correct, int Seen) Count(Func<torch.Tensor, torch.Tensor> forward, IReadOnlyList<LabelledImage> items, Preprocessor preprocessor, int batchSize,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        using var _ = torch.no_grad();
        int correct = 0, seen = 0;
        foreach (var batch in BatchLoader.Batches(items, preprocessor, batchSize))
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
}
