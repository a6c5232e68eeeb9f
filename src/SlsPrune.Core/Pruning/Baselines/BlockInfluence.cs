using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Models;
using SlsPrune.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>
/// Block influence (ShortGPT, Men et al. 2024): BI_i = 1 - mean cos(x_in, x_out) over every token of every
/// calibration image, where x_in and x_out are block i's input and output tokens. A block that barely turns
/// its input has a low BI and is the first to go. A block that starts a stage of a hierarchical backbone (Swin)
/// is compared with its own input, after the patch merging; each block's mean is over its own tokens.
/// </summary>
public static class BlockInfluence
{
    /// <summary>BI of every block of the model over a split's images.</summary>
    public static double[] Measure(Backbone model, IReadOnlyList<LabelledImage> items, Preprocessor preprocessor, int batchSize,
        Device device, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        IEnumerable<Tensor> Images()
        {
            int seen = 0;
            foreach (var batch in BatchLoader.Batches(items, preprocessor, batchSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                int n = (int)batch.Labels.shape[0];
                using (batch) yield return batch.Images;
                progress?.Report(seen += n);
            }
        }
        return Measure(model, Images(), device);
    }

    /// <summary>BI of every block over batches of preprocessed images.</summary>
    public static double[] Measure(Backbone model, IEnumerable<Tensor> imageBatches, Device device)
    {
        int depth = model.Depth;
        var cosSum = new double[depth];
        var tokens = new long[depth];
        model.eval();
        using var _ = torch.no_grad();
        foreach (var images in imageBatches)
        {
            using var scope = torch.NewDisposeScope();
            var x = model.Embed(images.to(device));
            for (int i = 0; i < depth; i++)
            {
                var y = model.RunBlock(i, x);
                cosSum[i] += CosineSum(model.BlockInput(i, x), y);
                tokens[i] += y.numel() / y.shape[^1];
                x = y;
            }
        }
        return cosSum.Select((c, i) => 1 - c / tokens[i]).ToArray();
    }

    /// <summary>Sum over tokens of cos(x, y) along the last axis, in float64, with PyTorch's
    /// <c>cosine_similarity</c> guard (each norm at least 1e-8).</summary>
    public static double CosineSum(Tensor x, Tensor y)
    {
        using var scope = torch.NewDisposeScope();
        var a = x.to(float64);
        var b = y.to(float64);
        var dot = (a * b).sum(dim: -1);
        var na = a.square().sum(dim: -1).sqrt().clamp_min(1e-8);
        var nb = b.square().sum(dim: -1).sqrt().clamp_min(1e-8);
        return (dot / (na * nb)).sum().item<double>();
    }
}
