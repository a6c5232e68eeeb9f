using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Models;
using SlsPrune.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Features;

/// <summary>Per-block features of a calibration split (the token(s) the family's head reads: the cls token for ViT):
/// [layers, n, width] float32 (CPU) and the labels; with <see cref="Predictions"/>, the class the model cut after each
/// block predicts for each image [layers][n].</summary>
public sealed record LayerFeatureSet(Tensor Features, long[] Labels, long[][]? Predictions = null) : IDisposable
{
    public int Layers => (int)Features.shape[0];

    public int Count => (int)Features.shape[1];

    /// <summary>Writes <c>feats</c> [layers, n, width] and <c>labels</c> [n] as safetensors (atomically).</summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var labels = torch.tensor(Labels);
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["feats"] = Features, ["labels"] = labels }, metadata);
    }

    public static LayerFeatureSet Load(string path)
    {
        using var f = SafetensorsFile.Open(path);
        if (!f.Tensors.Any(t => t.Name == "feats") || !f.Tensors.Any(t => t.Name == "labels"))
            throw new SlsInputException(path, "a features file needs 'feats' [layers, n, width] and 'labels' [n]");
        var feats = f.Read("feats").to(float32);
        using var labels = f.Read("labels");
        if (feats.dim() != 3 || labels.dim() != 1 || labels.shape[0] != feats.shape[1])
            throw new SlsInputException(path, "'feats' must be [layers, n, width] and 'labels' [n]");
        return new LayerFeatureSet(feats, labels.to(int64).data<long>().ToArray());
    }

    public void Dispose() => Features.Dispose();
}

/// <summary>One pass over a split under no-grad, one dispose scope per batch, taking every block's feature
/// (<see cref="Backbone.ForwardIntermediates"/>, before the final norm). On the CPU, batches run side by side where
/// <see cref="BatchStreams"/> says so; the result is the same, batch for batch, in file order.</summary>
public static class LayerFeatureExtractor
{
    /// <param name="progress">images done so far.</param>
    /// <param name="predictions">also the prediction of the model cut after every block (<see cref="Backbone.ForwardEveryDepth"/>).</param>
    public static LayerFeatureSet Extract(Backbone model, IReadOnlyList<LabelledImage> items, Preprocessor preprocessor,
        int batchSize, Device device, IProgress<int>? progress = null, bool predictions = false, CancellationToken cancellationToken = default)
    {
        int streams = BatchStreams.ForSplit(device, items.Count, batchSize, model.ActivationBytesPerImage());
        return Extract(model, items, preprocessor, batchSize, device, streams, progress, predictions, cancellationToken);
    }

    /// <summary><see cref="Extract(Backbone, IReadOnlyList{LabelledImage}, Preprocessor, int, Device, IProgress{int}?, bool, CancellationToken)"/>
    /// with <paramref name="streams"/> batches side by side (1: in order; <see cref="BatchStreams.For"/> picks the default). Each
    /// stream takes its share of <see cref="ThreadBudget.Threads"/>; libtorch's thread count is set to that share for the pass.</summary>
    public static LayerFeatureSet Extract(Backbone model, IReadOnlyList<LabelledImage> items, Preprocessor preprocessor, int batchSize,
        Device device, int streams, IProgress<int>? progress = null, bool predictions = false, CancellationToken cancellationToken = default)
    {
        model.eval();
        var outputs = BatchStreams.Run(streams, items, preprocessor, batchSize, batch => Forward(model, batch, device, predictions), progress,
            cancellationToken);
        try
        {
            var feats = torch.cat(outputs.Select(o => o.Cls).ToList(), 1);
            long[][]? perDepth = null;
            if (predictions)
            {
                using var all = torch.cat(outputs.Select(o => o.Predicted!).ToList(), 1);
                perDepth = Enumerable.Range(0, (int)all.shape[0])
                    .Select(d => { using var row = all[d]; return row.data<long>().ToArray(); }).ToArray();
            }
            return new LayerFeatureSet(feats, [.. outputs.SelectMany(o => o.Labels)], perDepth);
        }
        finally
        {
            foreach (var o in outputs) o.Dispose();
        }
    }

    private sealed record BatchOutput(Tensor Cls, Tensor? Predicted, long[] Labels) : IDisposable
    {
        public void Dispose()
        {
            Cls.Dispose();
            Predicted?.Dispose();
        }
    }

    private static BatchOutput Forward(Backbone model, Data.Batch batch, Device device, bool predictions)
    {
        using var scope = torch.NewDisposeScope();
        using var images = batch.Images.to(device);
        var labels = batch.Labels.data<long>().ToArray();
        if (predictions)
        {
            var (cls, p) = model.ForwardEveryDepth(images);
            return new BatchOutput(cls.to(float32).cpu().DetachFromDisposeScope(), p.cpu().DetachFromDisposeScope(), labels);
        }
        var (features, _) = model.ForwardIntermediates(images, stopEarly: true);
        return new BatchOutput(features.to(float32).cpu().DetachFromDisposeScope(), null, labels);
    }
}
